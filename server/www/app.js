// datrace serve: the upload page. Without this script the form still posts
// (multipart) and the server answers with a status page; with it, the upload
// shows its progress, the status is followed live, the browser lands on the
// report, and the table of recent analyses refreshes itself.
"use strict";
(function () {
  var api = "/api/v1/analyses";
  var form = document.getElementById("upload");
  var input = document.getElementById("capture");
  var drop = document.getElementById("drop");
  var dropText = document.getElementById("drop-text");
  var bar = document.getElementById("progress");
  var barRow = document.getElementById("progress-row");
  var percent = document.getElementById("percent");
  var status = document.getElementById("status");
  var send = document.getElementById("send");
  var rows = document.getElementById("rows");
  var tokenInput = document.getElementById("token");
  var tokens = document.body.getAttribute("data-tokens") === "on";

  if (tokens) {
    document.getElementById("token-row").hidden = false;
    tokenInput.value = sessionStorage.getItem("datrace-token") ||
      new URLSearchParams(location.search).get("access_token") || "";
    tokenInput.addEventListener("change", function () {
      sessionStorage.setItem("datrace-token", tokenInput.value);
      refresh();
    });
  }
  function token() { return tokens ? tokenInput.value.trim() : ""; }
  function withToken(url) {
    return token() ? url + (url.indexOf("?") < 0 ? "?" : "&") +
      "access_token=" + encodeURIComponent(token()) : url;
  }
  function request(method, url, body, onload, onprogress) {
    var x = new XMLHttpRequest();
    x.open(method, url);
    if (token()) x.setRequestHeader("Authorization", "Bearer " + token());
    if (onprogress) x.upload.addEventListener("progress", onprogress);
    x.addEventListener("load", function () {
      var j = null;
      try { j = JSON.parse(x.responseText); } catch (e) { j = null; }
      onload(x.status, j);
    });
    x.addEventListener("error", function () { onload(0, null); });
    x.send(body);
    return x;
  }
  function say(text, cls) {
    status.textContent = text;
    status.className = cls || "";
  }

  function chosen() {
    if (input.files.length) dropText.textContent = input.files[0].name +
      " (" + input.files[0].size + " bytes)";
  }
  input.addEventListener("change", chosen);
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (e) {
      e.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      chosen();
    }
  });

  function follow(id) {
    request("GET", api + "/" + id, null, function (code, j) {
      if (code !== 200 || !j) {
        say("Cannot read the status (" + code + ")", "failed");
        send.disabled = false;
        return;
      }
      if (j.status === "done") {
        say("Done: " + (j.top_verdict || "no verdict") + ". Opening the report...");
        location.href = withToken(j.report);
      } else if (j.status === "failed") {
        say("Failed: " + j.error, "failed");
        send.disabled = false;
        refresh();
      } else {
        say("Analysis " + j.status + "...");
        setTimeout(function () { follow(id); }, 400);
      }
    });
  }

  form.addEventListener("submit", function (e) {
    var data;
    e.preventDefault();
    if (!input.files.length) {
      say("Choose a capture first.", "failed");
      return;
    }
    data = new FormData(form);
    data.delete("ui");
    send.disabled = true;
    barRow.hidden = false;
    bar.value = 0;
    say("Uploading " + input.files[0].name + "...");
    request("POST", api, data, function (code, j) {
      if (code === 201 && j) {
        bar.value = 100;
        percent.textContent = "100 %";
        say("Uploaded; analysis " + j.status + "...");
        follow(j.id);
      } else {
        say("Upload refused (" + code + "): " + (j && j.error ? j.error :
          "no answer"), "failed");
        send.disabled = false;
      }
    }, function (p) {
      if (!p.lengthComputable) return;
      var v = Math.floor(100 * p.loaded / p.total);
      bar.value = v;
      percent.textContent = v + " %";
      // what the browser test reads: the progress events seen
      bar.setAttribute("data-events",
        String(Number(bar.getAttribute("data-events") || 0) + 1));
    });
  });

  function badge(a) {
    var cls = "pending", text = a.status;
    if (a.status === "failed") cls = "failed";
    else if (a.status === "done") {
      text = a.top_verdict || "no verdict";
      cls = a.verdicts && a.verdicts.error ? "error" :
        a.verdicts && a.verdicts.warning ? "warning" : "ok";
    }
    var s = document.createElement("span");
    s.className = "badge " + cls;
    s.textContent = text;
    return s;
  }
  function cell(tr, child, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (typeof child === "string") td.textContent = child;
    else td.appendChild(child);
    tr.appendChild(td);
    return td;
  }
  function refresh() {
    request("GET", api + "?limit=50", null, function (code, j) {
      if (code !== 200 || !j) return;
      var body = document.createDocumentFragment();
      j.analyses.forEach(function (a) {
        var tr = document.createElement("tr"), link = document.createElement("a"), td;
        tr.setAttribute("data-id", a.id);
        tr.setAttribute("data-status", a.status);
        link.href = withToken(a.status === "done" ? a.report : "/analyses/" + a.id);
        link.textContent = a.name;
        cell(tr, link);
        cell(tr, String(a.size), "num");
        cell(tr, (a.uploaded || "").replace("T", " ").replace("Z", " UTC"));
        td = cell(tr, badge(a));
        if (a.error) {
          var why = document.createElement("span");
          why.className = "why";
          why.textContent = a.error;
          td.appendChild(why);
        }
        body.appendChild(tr);
      });
      rows.textContent = "";
      rows.appendChild(body);
    });
  }
  setInterval(refresh, 3000);
})();
