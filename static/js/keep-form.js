// Forms with photos keep what was typed when sending fails. The text of a multipart form is
// kept in this tab's sessionStorage when it is sent; an error page (templates/_error.html)
// marks the send as failed; back on the form, empty fields get the kept text if the browser
// did not restore it itself. Files cannot be put back by a page: they are chosen again.
(function () {
  var DRAFT = "chuangcheng-draft";
  var FAILED = "chuangcheng-draft-failed";
  try {
    if (document.querySelector("[data-submit-failed]")) {
      sessionStorage.setItem(FAILED, "1");
      return;
    }
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.method.toLowerCase() !== "post" || form.enctype !== "multipart/form-data") return;
      var values = {};
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || /^(file|hidden|password|submit|button)$/.test(field.type)) return;
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.checked) values[field.name + "\u0000" + field.value] = true;
        } else {
          values[field.name] = field.value;
        }
      });
      sessionStorage.setItem(DRAFT, JSON.stringify({ action: form.action, values: values }));
      sessionStorage.removeItem(FAILED);
    });
    if (!sessionStorage.getItem(FAILED)) return;
    sessionStorage.removeItem(FAILED);
    var draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    if (!draft) return;
    Array.prototype.forEach.call(document.forms, function (form) {
      if (form.action !== draft.action) return;
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || /^(file|hidden|password|submit|button)$/.test(field.type)) return;
        if (field.type === "checkbox" || field.type === "radio") {
          if (draft.values[field.name + "\u0000" + field.value]) field.checked = true;
        } else if (!field.value && draft.values[field.name]) {
          field.value = draft.values[field.name];
        }
      });
    });
  } catch (error) {
    // sessionStorage may be unavailable (private mode): the form simply starts empty.
  }
})();
