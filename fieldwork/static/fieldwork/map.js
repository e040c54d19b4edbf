// The point map (fieldwork/map.html): markers from the JSON endpoint in #map's data-url.
// Without a tile server (data-tiles empty) nothing but our own JSON is requested: points are
// drawn as vector circles on a plain background. With tiles in GCJ-02 (高德/腾讯) the WGS-84
// coordinates are shifted here, for display only; the server never stores converted ones.
(function () {
  var map = null;

  // WGS-84 → GCJ-02 (the published offset formula); outside China nothing is shifted.
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lat, lng) { return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function tLng(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function toGcj02(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var dLat = tLat(lng - 105, lat - 35), dLng = tLng(lng - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    var sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dLng = (dLng * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [lat + dLat, lng + dLng];
  }
  window.chuangchengToGcj02 = toGcj02;

  function colour(className) {
    var probe = document.createElement("span");
    probe.className = className;
    document.body.appendChild(probe);
    var value = getComputedStyle(probe).getPropertyValue("--map-colour").trim();
    probe.remove();
    return value || "#333";
  }
  var STATUS_CLASS = {
    registered: "map-status-registered", awaiting: "map-status-awaiting",
    closed: "map-status-closed", voided: "map-status-closed",
  };

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }

  // The popup's HTML from the server (escaped there); read once, again after a failure. A
  // redirect is the sign-in page (the session has ended), not the popup.
  function openPopup(marker, url, failed) {
    if (marker.popupLoaded) return;
    marker.popupLoaded = true;
    fetch(url, { headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok || r.redirected) throw new Error(r.status); return r.text(); })
      .then(function (html) { marker.setPopupContent(html); })
      .catch(function () {
        marker.popupLoaded = false;
        marker.setPopupContent(text(failed));
      });
  }

  function draw() {
    var box = document.getElementById("map");
    if (!box || !window.L) return;
    if (map) { map.remove(); map = null; }
    var shift = box.dataset.crs === "gcj02" ? toGcj02 : function (lat, lng) { return [lat, lng]; };
    map = L.map(box, { preferCanvas: false, attributionControl: !!box.dataset.tiles });
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, {
        subdomains: box.dataset.subdomains || "abc",
        attribution: box.dataset.attribution || "",
        maxZoom: 18,
      }).addTo(map);
      map.attributionControl.setPrefix(false);
    }
    map.setView([35, 105], 4);
    var colours = { point: colour("map-point") };
    fetch(box.dataset.url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var bounds = [];
        data.points.forEach(function (p) {
          var at = shift(p.lat, p.lng);
          bounds.push(at);
          L.circleMarker(at, { radius: 6, color: "#333", weight: 1, fillColor: colours.point, fillOpacity: 0.9, className: "map-marker map-marker-point" })
            .bindPopup('<a href="' + text(p.url) + '">' + text(p.name) + "</a><br>" + text(p.type) + " · " + p.open + " " + text(box.dataset.labelOpen))
            .addTo(map);
        });
        data.findings.forEach(function (values) {
          var f = {};
          data.finding_fields.forEach(function (field, i) { f[field] = values[i]; });
          var cls = STATUS_CLASS[f.status] || "map-status-pending";
          colours[cls] = colours[cls] || colour(cls);
          var at = shift(f.lat, f.lng);
          bounds.push(at);
          var marker = L.circleMarker(at, { radius: 8, color: "#222", weight: 1, fillColor: colours[cls], fillOpacity: 0.85, className: "map-marker map-marker-finding" })
            .bindPopup(text(box.dataset.labelLoading))
            .addTo(map);
          // What the popup shows (number, status, problem, unit) is read when it is opened:
          // the markers themselves carry only their place and status.
          marker.on("popupopen", function () { openPopup(marker, data.popup.replace("{id}", f.id), box.dataset.labelFailed); });
        });
        var count = document.getElementById("map-count");
        if (count) {
          count.textContent = bounds.length
            ? box.dataset.labelCount.replace("{p}", data.points.length).replace("{f}", data.findings.length)
            : box.dataset.labelEmpty;
        }
        var warning = document.getElementById("map-truncated");
        if (warning) warning.classList.toggle("d-none", !data.truncated);
        if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
        box.dataset.loaded = "1";
      });
  }

  document.addEventListener("DOMContentLoaded", draw);
  // The filters re-render the frame with htmx: draw the new map.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "map-frame") draw();
  });
})();
