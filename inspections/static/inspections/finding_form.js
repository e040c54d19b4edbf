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

// Points near the phone's location (fieldwork's nearest-points list): choosing one records it
// and fills the address, area and unit the inspector has not filled in.
(function () {
  var form = document.getElementById("finding-form");
  var box = document.getElementById("nearest-points-box");
  if (!form || !box) return;
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  // Asked directly rather than by an hx-trigger: a phone may know its place before htmx has
  // read the page, and the "located" event would then be lost.
  function nearest() {
    if (!lat.value || !lng.value) return;
    htmx.ajax("GET", box.dataset.url, {
      target: box, swap: "innerHTML", values: { latitude: lat.value, longitude: lng.value },
    });
  }
  form.addEventListener("located", nearest);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", nearest);
  } else {
    nearest();
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-point]");
    if (!button) return;
    document.getElementById("id_point").value = button.dataset.point;
    var address = document.getElementById("id_address");
    if (!address.value) address.value = button.dataset.address || button.firstChild.textContent.trim();
    var territory = document.getElementById("id_territory");
    if (!territory.value) territory.value = button.dataset.territory;
    var unit = document.getElementById("id_unit");
    if (!unit.value) unit.value = button.dataset.unit;
    var chosen = document.getElementById("chosen-point");
    chosen.textContent = button.firstChild.textContent.trim();
    button.parentNode.querySelectorAll("[data-point]").forEach(function (b) {
      b.classList.toggle("active", b === button);
    });
  });
})();

