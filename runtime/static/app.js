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
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  area.scrollTop = Math.max(0, (line - 3) * 19.5);
});
