// Small progressive enhancements; every page works without them.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) { window.print(); }
});
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});
// The YAML editor: keep the line numbers beside the text, and jump to a problem's line.
document.addEventListener("scroll", function (event) {
  var area = event.target;
  if (area && area.id === "yaml-text") {
    var gutter = area.parentElement.querySelector(".gutter");
    if (gutter) { gutter.scrollTop = area.scrollTop; }
  }
}, true);
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-line]");
  var area = document.getElementById("yaml-text");
  if (!link || !area) { return; }
  event.preventDefault();
  var line = parseInt(link.getAttribute("data-line"), 10);
  var lines = area.value.split("\n");
  var start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
  // Focus without the browser's own scroll (it puts the caret at an edge), then place
  // the line in the middle of the box, and the box in the middle of the window.
  area.focus({preventScroll: true});
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  var style = window.getComputedStyle(area);
  var height = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
  var top = (line - 1) * height + (parseFloat(style.paddingTop) || 0);
  area.scrollTop = Math.max(0, top - (area.clientHeight - height) / 2);
  area.scrollIntoView({block: "center"});
});
// A live re-render of the material controls (a changed answer shows or hides a
// material) must not drop files the applicant has chosen but not yet uploaded: carry
// each chosen file list over to the new control of the same material.
(function () {
  var chosen = {};
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "uploads") { return; }
    chosen = {};
    target.querySelectorAll("input[type=file]").forEach(function (input) {
      if (input.files && input.files.length) { chosen[input.id] = input.files; }
    });
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "uploads") { return; }
    Object.keys(chosen).forEach(function (id) {
      var input = document.getElementById(id);
      if (input && input.type === "file") { input.files = chosen[id]; }
    });
    chosen = {};
  });
})();
