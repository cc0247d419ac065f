// Applies the saved colour theme before the first paint (a classic script in <head>,
// so the page never flashes the other theme). Without a saved choice the system's wins.
(function applySavedTheme() {
  try {
    var saved = window.localStorage.getItem("tts-agents-theme");
    if (saved === "light" || saved === "dark") {
      document.documentElement.dataset.theme = saved;
    }
  } catch (error) {
    // Storage can be disabled; the system theme then applies.
  }
})();
