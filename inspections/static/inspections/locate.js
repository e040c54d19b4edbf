// The phone's location, only when the person allows it, for a form with hidden
// #id_latitude/#id_longitude and a #locate-status line (field entry and 随手拍).
(function () {
  var lat = document.getElementById("id_latitude");
  var lng = document.getElementById("id_longitude");
  var status = document.getElementById("locate-status");
  if (!lat || !lng || !status) return;

  function locate() {
    if (!navigator.geolocation) return;
    status.textContent = status.dataset.busy;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        status.textContent = status.dataset.found.replace("{m}", Math.round(pos.coords.accuracy));
        // htmx listens for it (nearby findings on the field-entry form).
        if (lat.form) lat.form.dispatchEvent(new Event("located"));
      },
      function () { status.textContent = status.dataset.denied; },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }
  var button = document.getElementById("locate-button");
  if (button) button.addEventListener("click", locate);
  if (!lat.value) locate();
})();
