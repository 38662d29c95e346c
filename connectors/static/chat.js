// Web chat page of the gateway: talks to POST /api/chat (channel "web"), and fetches
// officers' messages (ticket answers, replies during a handoff) from GET /api/inbox.
(function () {
  "use strict";

  var SENDER_KEY = "trolyao.sender_id";
  var URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;
  var INBOX_EVERY_MS = 4000;

  var list = document.getElementById("messages");
  var typing = document.getElementById("typing");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var pending = 0;
  var inboxBusy = false;

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function senderId() {
    var id = null;
    try {
      id = window.localStorage.getItem(SENDER_KEY);
      if (!id) {
        id = randomId();
        window.localStorage.setItem(SENDER_KEY, id);
      }
    } catch (e) {
      id = id || randomId(); // storage disabled: one id for this page view
    }
    return id;
  }

  var sender = senderId();

  function isWebUrl(value) {
    return typeof value === "string" && /^https?:\/\//i.test(value);
  }

  function isImageSource(value) {
    return isWebUrl(value) || (typeof value === "string" && /^data:image\//i.test(value));
  }

  // Text with clickable links, built from DOM text nodes only.
  function appendLinkedText(parent, text) {
    var parts = text.split(URL_PATTERN);
    parts.forEach(function (part, index) {
      if (index % 2 === 0) {
        if (part) parent.appendChild(document.createTextNode(part));
        return;
      }
      var trailing = (part.match(TRAILING_PUNCTUATION) || [""])[0];
      var href = trailing ? part.slice(0, -trailing.length) : part;
      var link = document.createElement("a");
      link.href = href;
      link.textContent = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.appendChild(link);
      if (trailing) parent.appendChild(document.createTextNode(trailing));
    });
  }

  function scrollToEnd() {
    list.scrollTop = list.scrollHeight;
  }

  function addMessage(who, reply) {
    var item = document.createElement("div");
    item.className = "msg " + who;
    if (reply.text) {
      var bubble = document.createElement("div");
      bubble.className = "bubble";
      appendLinkedText(bubble, reply.text);
      item.appendChild(bubble);
    }
    if (isImageSource(reply.image)) {
      var img = document.createElement("img");
      img.src = reply.image;
      img.alt = "Hình ảnh từ trợ lý";
      img.loading = "lazy";
      img.addEventListener("load", scrollToEnd);
      item.appendChild(img);
    }
    if (Array.isArray(reply.buttons) && reply.buttons.length) {
      item.appendChild(buildButtons(reply.buttons));
    }
    if (item.childNodes.length) {
      list.appendChild(item);
      scrollToEnd();
    }
  }

  function buildButtons(buttons) {
    var box = document.createElement("div");
    box.className = "buttons";
    buttons.forEach(function (button) {
      var title = button.title || button.payload || button.url || button.phone || "";
      var el;
      if (isWebUrl(button.url)) {
        el = document.createElement("a");
        el.href = button.url;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
      } else if (button.phone) {
        el = document.createElement("a");
        el.href = "tel:" + String(button.phone).replace(/[^\d+]/g, "");
        el.className = "phone";
      } else if (button.payload) {
        el = document.createElement("button");
        el.type = "button";
        el.addEventListener("click", function () {
          send(button.payload, title);
        });
      } else {
        return;
      }
      el.className = "btn" + (el.className ? " " + el.className : "");
      el.textContent = title;
      box.appendChild(el);
    });
    return box;
  }

  function setTyping(on) {
    pending += on ? 1 : -1;
    typing.hidden = pending <= 0;
    if (!typing.hidden) scrollToEnd();
  }

  function send(text, shownAs) {
    var message = String(text || "").trim();
    if (!message) return;
    addMessage("user", { text: shownAs || message });
    setTyping(true);
    fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender_id: sender, text: message, channel: "web" })
    })
      .then(function (response) {
        return response.json().then(function (body) {
          // A 429 (sending too fast) carries replies like any answer: show them.
          if (!response.ok && !(body && Array.isArray(body.replies))) {
            throw new Error((body && body.error) || "Lỗi máy chủ");
          }
          return body;
        });
      })
      .then(function (body) {
        (body.replies || []).forEach(function (reply) {
          addMessage("bot", reply);
        });
      })
      .catch(function () {
        addMessage("bot error", {
          text: "Không kết nối được với trợ lý ảo. Bạn vui lòng kiểm tra mạng và thử lại."
        });
      })
      .then(function () {
        setTyping(false);
      });
  }

  // Officers answer later, on this page: ask every few seconds while the page is shown.
  function pollInbox() {
    if (inboxBusy || document.hidden) return;
    inboxBusy = true;
    fetch("/api/inbox?sender_id=" + encodeURIComponent(sender), { cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : { replies: [] };
      })
      .then(function (body) {
        (body.replies || []).forEach(function (reply) {
          addMessage("bot officer", reply);
        });
      })
      .catch(function () {
        // Offline for a moment: the messages wait on the server for the next try.
      })
      .then(function () {
        inboxBusy = false;
      });
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
    input.style.overflowY = input.scrollHeight > 120 ? "auto" : "hidden";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    autoGrow();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : sendButton.click();
    }
  });
  input.addEventListener("input", autoGrow);
  window.setInterval(pollInbox, INBOX_EVERY_MS);
  document.addEventListener("visibilitychange", pollInbox);
  pollInbox();
})();
