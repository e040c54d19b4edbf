// Field entry: the suggested unit (the location comes from locate.js).
(function () {
  var form = document.getElementById("finding-form");
  if (!form) return;
  var unit = document.getElementById("id_unit");
  var unitTouched = false;

  // Suggest the unit from category and area until the person picks one themselves.
  unit.addEventListener("change", function () { unitTouched = true; });
  function suggest() {
    var params = new URLSearchParams({
      category: document.getElementById("id_category").value,
      territory: document.getElementById("id_territory").value,
      severity: document.getElementById("id_severity").value,
    });
    fetch(form.dataset.suggestUrl + "?" + params, { headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        var box = document.getElementById("suggestion");
        box.innerHTML = html;
        var span = box.querySelector("[data-unit]");
        if (span && span.dataset.unit && !unitTouched) unit.value = span.dataset.unit;
      });
  }
  ["id_category", "id_territory", "id_severity"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", suggest);
  });
})();
