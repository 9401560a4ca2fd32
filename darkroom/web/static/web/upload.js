// Upload each chosen or dropped file on its own request to the API, with a
// progress bar per file and the server's reason when one is refused. Without
// JavaScript the form posts all files to the page instead.
(function () {
  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("id_photo");
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var done = document.getElementById("upload-done");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  document.documentElement.classList.add("js");

  function row(file) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "waiting…";
    item.append(name, bar, status);
    list.appendChild(item);
    return { item: item, bar: bar, status: status };
  }

  function finish(view, ok, text, link) {
    view.item.classList.add(ok ? "ok" : "refused");
    view.bar.value = 100;
    view.status.textContent = "";
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = text;
      view.status.appendChild(a);
    } else {
      view.status.textContent = text;
    }
  }

  function send(file) {
    var view = row(file);
    if (file.size > maxBytes) {
      finish(view, false, "Too large: the limit is " + Math.round(maxBytes / 1e6) + " MB.");
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var request = new XMLHttpRequest();
      request.open("POST", form.dataset.api);
      request.setRequestHeader("X-CSRFToken", csrf);
      request.responseType = "json";
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          view.bar.value = Math.round((event.loaded / event.total) * 100);
          view.status.textContent = view.bar.value + "%";
        }
      };
      request.onload = function () {
        var body = request.response || {};
        if (request.status === 201) finish(view, true, "Uploaded — open", "/photos/" + body.id + "/");
        else if (request.status === 409 && body.photo) finish(view, true, "Already in your gallery — open", "/photos/" + body.photo.id + "/");
        else finish(view, false, body.detail || "Refused (" + request.status + ").");
        resolve();
      };
      request.onerror = function () {
        finish(view, false, "The connection failed; try again.");
        resolve();
      };
      var data = new FormData();
      data.append("file", file);
      request.send(data);
    });
  }

  function sendAll(files) {
    var queue = Array.prototype.slice.call(files);
    if (!queue.length) return;
    // Two at a time: fast on a good line, no stampede on a phone.
    var running = [];
    function next() {
      if (!queue.length) return Promise.resolve();
      return send(queue.shift()).then(next);
    }
    running.push(next(), next());
    Promise.all(running).then(function () { done.hidden = false; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendAll(input.files);
    input.value = "";
  });
  input.addEventListener("change", function () {
    sendAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) { sendAll(event.dataTransfer.files); });
  // Files chosen before this deferred script ran (a quick tap on a slow
  // phone) fired their "change" with nobody listening: send them now.
  if (input.files.length) {
    sendAll(input.files);
    input.value = "";
  }
})();
