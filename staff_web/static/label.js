// The label page's print button; without JavaScript the browser's own print does the same.
(function () {
  var button = document.getElementById("print");
  if (!button) { return; }
  button.hidden = false;
  var hint = document.getElementById("print-hint");
  if (hint) { hint.hidden = true; }
  button.addEventListener("click", function () { window.print(); });
})();
