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
