"""Words English readers say for abbreviations, units, currencies, months and symbols."""

from __future__ import annotations

MONTHS = (
    "January February March April May June July August September October November December"
).split()
MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTHS, 1)}
MONTH_NUMBERS.update(
    {name.lower()[:3]: number for number, name in enumerate(MONTHS, 1)} | {"sept": 9}
)

# Abbreviations read the same wherever they stand (matched case-insensitively, dots kept).
ABBREVIATIONS = {
    "dr.": "Doctor",
    "mr.": "Mister",
    "mrs.": "Missus",
    "ms.": "Miz",
    "prof.": "Professor",
    "jr.": "Junior",
    "sr.": "Senior",
    "mt.": "Mount",
    "ave.": "Avenue",
    "blvd.": "Boulevard",
    "rd.": "Road",
    "etc.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "vs.": "versus",
    "vs": "versus",
    "approx.": "approximately",
    "dept.": "Department",
    "fig.": "Figure",
    "inc.": "Incorporated",
    "ltd.": "Limited",
    "co.": "Company",
    "ph.d.": "P H D",
    "a.m.": "AM",
    "p.m.": "PM",
}
# Of those, the ones that may also end a sentence (their period is then a full stop too).
SENTENCE_FINAL = frozenset({"jr.", "sr.", "etc.", "inc.", "ltd.", "co.", "a.m.", "p.m."})
# Read as AM/PM only right after a time or a number ("10 am", "at 5 PM").
MERIDIEMS = {"am": "AM", "pm": "PM", "a.m.": "AM", "p.m.": "PM"}

# (singular, plural) for a symbol before or after an amount, and the minor unit.
CURRENCIES = {
    "$": (("dollar", "dollars"), ("cent", "cents")),
    "€": (("euro", "euros"), ("cent", "cents")),
    "£": (("pound", "pounds"), ("penny", "pence")),
    "¥": (("yen", "yen"), None),
}
SCALES = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion", "b": "billion"}
SCALE_WORDS = frozenset({"hundred", "thousand", "million", "billion", "trillion"})

# Units after a number (matched case-sensitively: "m" is metres, "M" is not a unit).
UNITS = {
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "%": ("percent", "percent"),
    "B": ("byte", "bytes"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"),
    "sec": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
}

SYMBOLS = {"&": "and", "+": "plus", "=": "equals", "@": "at", "%": "percent", "#": "number"}

# How a URL's or e-mail address's punctuation is said.
URL_PUNCTUATION = {
    ".": "dot",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    ":": "colon",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "@": "at",
    "+": "plus",
    "~": "tilde",
    "%": "percent",
}
TOP_LEVEL_DOMAINS = frozenset(
    "com org net edu gov io ai dev app co uk de fr es it nl eu info biz me us ca au jp ch at "
    "be se no dk fi pl ru in br tv ly gg".split()
)

FRACTIONS = {2: ("half", "halves"), 4: ("quarter", "quarters")}

# A letter said alone: espeak-ng reads a lone "A" as the article.
LETTER_NAMES = {"A": "eh"}
