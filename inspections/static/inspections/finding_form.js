// Field entry: the phone's location (only when allowed) and the suggested unit.
(function () {
  var form = document.getElementById("finding-form");
  if (!form) return;
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  var status = document.getElementById("locate-status");
  var unit = document.getElementById("id_unit");
  var unitTouched = false;

  function locate() {
    if (!navigator.geolocation) return;
    status.textContent = status.dataset.busy;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        status.textContent = status.dataset.found.replace("{m}", Math.round(pos.coords.accuracy));
        form.dispatchEvent(new Event("located"));
      },
      function () { status.textContent = status.dataset.denied; },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }
  document.getElementById("locate-button").addEventListener("click", locate);
  if (!lat.value) locate();

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
