// Site script: small on purpose. htmx does partial updates.
document.addEventListener("htmx:responseError", function (event) {
  // Say so instead of silently swapping nothing: the message is translated in base.html.
  alert(document.body.dataset.errorMessage + " (" + event.detail.xhr.status + ")");
});
