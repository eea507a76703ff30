// mamori: drag-and-drop ranking of a prefecture's applicants. Dragging a row renumbers the
// rank fields 1..n in the new order; the numbers can also be typed, and the form works
// without this script.
(function () {
  "use strict";
  var list = document.querySelector("[data-rank-list]");
  if (!list) return;
  var dragged = null;
  function renumber() {
    var inputs = list.querySelectorAll("input[data-rank]");
    for (var i = 0; i < inputs.length; i++) inputs[i].value = String(i + 1);
  }
  list.addEventListener("dragstart", function (event) {
    var row = event.target instanceof Element ? event.target.closest("tr[draggable=true]") : null;
    if (!row) return;
    dragged = row;
    row.classList.add("dragging");
    if (event.dataTransfer) {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.getAttribute("data-application") || "");
    }
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) return;
    event.preventDefault();
    var row = event.target instanceof Element ? event.target.closest("tr") : null;
    if (!row || row === dragged || row.parentNode !== list) return;
    var box = row.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? row.nextSibling : row);
  });
  list.addEventListener("drop", function (event) {
    if (!dragged) return;
    event.preventDefault();
    renumber();
  });
  list.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    renumber();
  });
})();
