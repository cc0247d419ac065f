// Test probe, injected before any page script (Playwright init scripts run whatever the
// page's CSP says). Records CSP violations, when the microphone opened, the orb's states,
// tentative transcripts and transcript lines with their times, for the Python side to read
// as window.__probe.
(() => {
  const probe = { csp: [], states: [], lines: [], tentative: [], micAt: null, streams: [] };
  window.__probe = probe;
  document.addEventListener("securitypolicyviolation", (event) => {
    probe.csp.push({ directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample });
  });
  const devices = navigator.mediaDevices;
  if (devices && devices.getUserMedia) {
    const original = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      probe.micAt = performance.now();
      probe.streams.push(stream);
      return stream;
    };
  }
  const watch = () => {
    const orb = document.getElementById("orb");
    if (orb) {
      new MutationObserver(() => probe.states.push([performance.now(), orb.dataset.state]))
        .observe(orb, { attributes: true, attributeFilter: ["data-state"] });
    }
    const tentative = document.getElementById("tentative");
    if (tentative) {
      new MutationObserver(() => {
        if (!tentative.hidden && tentative.textContent) {
          probe.tentative.push(tentative.textContent);
        }
      }).observe(tentative, { childList: true, characterData: true, subtree: true, attributes: true });
    }
    const list = document.getElementById("transcript");
    if (list) {
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node.nodeType === 1 && node.matches("li")) {
              const text = node.querySelector(".msg-text");
              probe.lines.push({ t: performance.now(), kind: node.className, text: text ? text.textContent : "" });
            }
          }
        }
      }).observe(list, { childList: true });
    }
  };
  document.addEventListener("DOMContentLoaded", watch);
})();
