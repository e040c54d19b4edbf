// Site script: small on purpose. htmx does partial updates. No page has inline script
// (the Content-Security-Policy forbids it): behaviour is declared with data- attributes.
document.addEventListener("htmx:responseError", function (event) {
  // Say so instead of silently swapping nothing: the message is translated in base.html.
  alert(document.body.dataset.errorMessage + " (" + event.detail.xhr.status + ")");
});

// <form data-confirm="…"> or <button data-confirm="…">: ask before submitting.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// <input type="checkbox" data-tick-all="NAME">: ticks or unticks every box called NAME.
document.addEventListener("change", function (event) {
  var name = event.target.dataset && event.target.dataset.tickAll;
  if (!name) return;
  document.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});

// table.table-cards: each cell learns its column's name (`data-label`), which the site CSS
// shows before the cell when a phone turns rows into cards. Again after every htmx swap.
function labelTableCells(root) {
  root.querySelectorAll("table.table-cards").forEach(function (table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.querySelector(".visually-hidden") ? "" : th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        if (names[index] && cell.colSpan === 1 && !cell.dataset.label) cell.dataset.label = names[index];
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { labelTableCells(document); });
document.addEventListener("htmx:afterSwap", function (event) { labelTableCells(event.detail.target); });

// A filter form sent by htmx leaves its empty fields out, so the address bar reads like a
// link someone would share (?overdue=on, not ?q=&unit=&…&overdue=on).
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb !== "get") return;
  var params = event.detail.parameters;
  Object.keys(params).forEach(function (key) {
    if (params[key] === "") delete params[key];
  });
});
