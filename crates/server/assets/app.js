// recoup: the little script the pages need beyond htmx. Every page works without it.

// Forms answer 422 with the page and the errors next to the fields: show it, as for 200.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "422", swap: true },
  { code: "[45]..", swap: true, error: true },
];
// Full pages come back from boosted forms: keep focus and scroll sensible.
htmx.config.scrollIntoViewOnBoost = false;

// Keyboard shortcuts: an element with data-key="x" is opened (a <details>) or focused and
// clicked (anything else) when x is pressed outside a field. "?" lists them.
document.addEventListener("keydown", function (e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  if (e.key === "?") {
    var help = document.getElementById("shortcuts");
    if (help) { help.open = !help.open; e.preventDefault(); }
    return;
  }
  var el = document.querySelector('[data-key="' + CSS.escape(e.key) + '"]');
  if (!el) return;
  e.preventDefault();
  if (el.tagName === "DETAILS") {
    el.open = true;
    var first = el.querySelector("input, select, textarea, button");
    if (first) first.focus();
  } else {
    el.focus();
    el.click();
  }
});
