// Web chat page of the gateway: talks to POST /api/chat (channel "web"), fetches officers'
// messages (ticket answers, replies during a handoff) from GET /api/inbox, shows the
// conversation kept on the server again after a reload (GET /api/history) and clears it
// (DELETE /api/history, then a new sender id: a kiosk or a family phone is shared).
(function () {
  "use strict";

  var SENDER_KEY = "trolyao.sender_id";
  var URL_PATTERN = /(https?:\/\/[^\s<>"]+)/g;
  var TRAILING_PUNCTUATION = /[.,;:!?)\]]+$/;
  var INBOX_EVERY_MS = 4000;
  // A button offered longer ago than this no longer acts (a past time slot, a stale choice).
  var BUTTONS_LAST_MS = 30 * 60 * 1000;
  var RATINGS = { "#rating:up": "up", "#rating:down": "down" };
  var COUNTER_FROM = 200; // characters before the limit where the counter appears

  var TEXT = {
    offline: "Không kết nối được với trợ lý ảo nên tin nhắn chưa được gửi. " +
      "Bạn vui lòng kiểm tra mạng rồi bấm “Gửi lại”.",
    retry: "Gửi lại",
    expired: "Nút bấm này đã hết hạn. Bạn vui lòng gõ lại câu hỏi.",
    ratingFailed: "Chưa gửi được đánh giá. Bạn vui lòng thử lại.",
    earlier: "Cuộc trò chuyện trước, lưu trong {hours} giờ",
    confirmClear: "Xóa toàn bộ cuộc trò chuyện trên thiết bị này? " +
      "Người dùng sau sẽ không xem được nội dung bạn đã hỏi.",
    cleared: "Đã xóa lịch sử trò chuyện. Bạn có thể bắt đầu câu hỏi mới.",
    tooLong: "Tin nhắn dài {length} ký tự, vượt quá giới hạn {limit} ký tự nên chưa được gửi. " +
      "Bạn vui lòng rút gọn câu hỏi hoặc chia thành nhiều tin nhắn ngắn hơn.",
    counter: "{length}/{limit} ký tự",
    imageAlt: "Hình ảnh từ trợ lý"
  };

  var list = document.getElementById("messages");
  var typing = document.getElementById("typing");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var clearButton = document.getElementById("clear");
  var note = document.getElementById("composer-note");
  var MAX_CHARS = Number(input.getAttribute("data-max-chars")) || 2000;
  var pending = 0;
  var inboxBusy = false;
  var latestAnswer = null; // first element of the newest answer, kept in view as it grows
  var historyPlace = null; // where the history goes: before the first message of this visit

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

  function senderId(fresh) {
    var id = null;
    try {
      id = fresh ? null : window.localStorage.getItem(SENDER_KEY);
      if (!id) {
        id = randomId();
        window.localStorage.setItem(SENDER_KEY, id);
      }
    } catch (e) {
      id = id || randomId(); // storage disabled: one id for this page view
    }
    return id;
  }

  var sender = senderId(false);

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? String(values[key]) : whole;
    });
  }

  function thousands(number) {
    return String(number).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

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

  // --- scrolling ------------------------------------------------------------------------

  function scrollToEnd() {
    list.scrollTop = list.scrollHeight;
  }

  // The end of the conversation, unless that hides the start of the newest answer: then the
  // answer's start at the top, for the citizen to read down from it.
  function revealAnswer(first) {
    if (!first || !first.parentNode) return;
    var end = list.scrollHeight - list.clientHeight;
    list.scrollTop = Math.max(0, Math.min(end, first.offsetTop - 8));
  }

  // --- messages -------------------------------------------------------------------------

  // One message; options: before (insert there), who ("user", "bot", "bot officer"...),
  // at (when it was shown, ms), rated ("up"/"down"), retired (its buttons no longer act).
  function buildMessage(who, reply, options) {
    var item = document.createElement("div");
    item.className = "msg " + who;
    item.setAttribute("data-at", String(options.at || Date.now()));
    if (reply.text) {
      var bubble = document.createElement("div");
      bubble.className = "bubble";
      appendLinkedText(bubble, reply.text);
      item.appendChild(bubble);
    }
    if (isImageSource(reply.image)) {
      var img = document.createElement("img");
      img.src = reply.image;
      img.alt = TEXT.imageAlt;
      img.loading = "lazy";
      img.addEventListener("load", function () {
        if (latestAnswer) revealAnswer(latestAnswer);
      });
      item.appendChild(img);
    }
    if (Array.isArray(reply.buttons) && reply.buttons.length) {
      var box = buildButtons(reply.buttons, options);
      if (box.childNodes.length) item.appendChild(box);
      if (options.retired) retire(box);
    }
    return item.childNodes.length ? item : null;
  }

  function addMessage(who, reply, options) {
    options = options || {};
    var item = buildMessage(who, reply, options);
    if (!item) return null;
    list.insertBefore(item, options.before || null);
    if (!options.before && !historyPlace) historyPlace = item;
    if (clearButton.hidden) clearButton.hidden = false;
    return item;
  }

  function buildButtons(buttons, options) {
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
      } else if (button.payload && RATINGS[button.payload]) {
        el = document.createElement("button");
        el.type = "button";
        el.className = "rating";
        el.setAttribute("data-payload", button.payload);
        el.setAttribute("aria-pressed", options.rated === RATINGS[button.payload] ? "true" : "false");
        el.addEventListener("click", function () {
          rate(box, el);
        });
      } else if (button.payload) {
        el = document.createElement("button");
        el.type = "button";
        el.setAttribute("data-payload", button.payload);
        el.addEventListener("click", function () {
          press(box, el, button.payload, title);
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

  // Buttons that act on the conversation (not links, not phone numbers) stop acting.
  function retire(scope) {
    var buttons = scope.querySelectorAll("button[data-payload]");
    Array.prototype.forEach.call(buttons, function (el) {
      el.disabled = true;
      el.classList.add("retired");
    });
  }

  function isExpired(el) {
    var item = el.closest(".msg");
    var at = item ? Number(item.getAttribute("data-at")) : 0;
    return at > 0 && Date.now() - at > BUTTONS_LAST_MS;
  }

  function retireExpired() {
    var live = list.querySelectorAll("button[data-payload]:not(:disabled)");
    Array.prototype.forEach.call(live, function (el) {
      if (isExpired(el)) retire(el.parentNode);
    });
  }

  function showNote(box, text, isError) {
    var line = box.parentNode.querySelector(".button-note");
    if (!line) {
      line = document.createElement("p");
      line.className = "button-note";
      line.setAttribute("role", "status");
      box.parentNode.appendChild(line);
    }
    line.textContent = text;
    line.classList.toggle("error", !!isError);
  }

  function press(box, el, payload, title) {
    if (el.disabled) return;
    if (isExpired(el)) {
      retire(box);
      showNote(box, TEXT.expired, true);
      return;
    }
    el.classList.add("chosen");
    send(payload, title);
  }

  // A rating can be changed while its answer is the newest; the server keeps one per answer.
  function rate(box, el) {
    if (el.disabled || el.getAttribute("aria-pressed") === "true") return;
    var buttons = box.querySelectorAll("button.rating");
    var before = Array.prototype.map.call(buttons, function (b) {
      return b.getAttribute("aria-pressed");
    });
    Array.prototype.forEach.call(buttons, function (b) {
      b.setAttribute("aria-pressed", b === el ? "true" : "false");
    });
    var forSender = sender;
    postChat(el.getAttribute("data-payload"), randomId())
      .then(function (body) {
        if (sender !== forSender) return;
        var thanks = (body.replies || []).map(function (r) { return r.text || ""; }).join(" ");
        showNote(box, thanks, false);
      })
      .catch(function () {
        Array.prototype.forEach.call(buttons, function (b, i) {
          b.setAttribute("aria-pressed", before[i]);
        });
        showNote(box, TEXT.ratingFailed, true);
      });
  }

  function setTyping(on) {
    pending += on ? 1 : -1;
    typing.hidden = pending <= 0;
    if (!typing.hidden) scrollToEnd();
  }

  // --- sending --------------------------------------------------------------------------

  // POST /api/chat; resolves with the body, rejects when there is no answer to show.
  function postChat(text, clientMessageId) {
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        sender_id: sender, text: text, channel: "web", client_message_id: clientMessageId
      })
    }).then(function (response) {
      return response.json().then(function (body) {
        // A 429 (sending too fast) or a 422 (too long) carries replies like any answer.
        if (!response.ok && !(body && Array.isArray(body.replies))) {
          throw new Error((body && body.error) || "Lỗi máy chủ");
        }
        return body;
      });
    });
  }

  function showAnswer(replies, who) {
    var first = null;
    replies.forEach(function (reply) {
      var item = addMessage(who || "bot", reply);
      first = first || item;
    });
    if (first) {
      latestAnswer = first;
      revealAnswer(first);
    }
  }

  function send(text, shownAs) {
    var message = String(text || "").trim();
    if (!message) return;
    retire(list); // a new message makes every earlier button outdated
    var item = addMessage("user", { text: shownAs || message });
    latestAnswer = null;
    scrollToEnd();
    // One id per message, the same on every retry: the server answers a resend once.
    deliver({ text: message, id: randomId(), item: item, sender: sender });
  }

  function deliver(outgoing) {
    setTyping(true);
    postChat(outgoing.text, outgoing.id)
      .then(function (body) {
        setTyping(false);
        if (outgoing.sender !== sender) return; // the history was cleared meanwhile
        showAnswer(body.replies || []);
      }, function () {
        setTyping(false);
        if (outgoing.sender !== sender) return;
        showOffline(outgoing);
      });
  }

  function showOffline(outgoing) {
    var item = addMessage("bot error", { text: TEXT.offline });
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn retry";
    retry.textContent = TEXT.retry;
    retry.addEventListener("click", function () {
      if (item.parentNode) item.parentNode.removeChild(item);
      deliver(outgoing);
    });
    var box = document.createElement("div");
    box.className = "buttons";
    box.appendChild(retry);
    item.appendChild(box);
    revealAnswer(item);
  }

  // --- history --------------------------------------------------------------------------

  function loadHistory() {
    var forSender = sender;
    fetch("/api/history?sender_id=" + encodeURIComponent(sender), { cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (forSender === sender && body && Array.isArray(body.messages) && body.messages.length) {
          showHistory(body.messages, body.keep_hours);
        }
      })
      .catch(function () {
        // Offline at load: the page works without its history.
      });
  }

  function showHistory(messages, keepHours) {
    var lastUser = -1;
    messages.forEach(function (message, index) {
      if (message.who === "user") lastUser = index;
    });
    var place = historyPlace;
    var divider = document.createElement("p");
    divider.className = "history-divider";
    divider.textContent = fill(TEXT.earlier, { hours: thousands(keepHours) });
    list.insertBefore(divider, place);
    messages.forEach(function (message, index) {
      var who = message.who === "officer" ? "bot officer" : message.who === "user" ? "user" : "bot";
      var at = Date.parse(message.at) || Date.now();
      addMessage(who, message, {
        before: place,
        at: at,
        rated: message.rated,
        // Only the newest answer's buttons may still act, and only while they are recent.
        retired: index < lastUser || Date.now() - at > BUTTONS_LAST_MS
      });
    });
    if (!place) scrollToEnd();
  }

  function clearHistory() {
    if (!window.confirm(TEXT.confirmClear)) return;
    var old = sender;
    fetch("/api/history?sender_id=" + encodeURIComponent(old), { method: "DELETE" }).catch(function () {
      // Offline: the server's copy is no longer reachable from this page and expires by itself.
    });
    sender = senderId(true); // a new conversation, at the bot too
    var nodes = list.querySelectorAll(".msg:not(.greeting), .history-divider");
    Array.prototype.forEach.call(nodes, function (node) {
      node.parentNode.removeChild(node);
    });
    historyPlace = null;
    latestAnswer = null;
    hideNote();
    addMessage("bot notice", { text: TEXT.cleared });
    clearButton.hidden = true;
    input.focus();
  }

  // --- officers' messages ---------------------------------------------------------------

  // Officers answer later, on this page: ask every few seconds while the page is shown.
  function pollInbox() {
    if (inboxBusy || document.hidden) return;
    inboxBusy = true;
    var forSender = sender;
    fetch("/api/inbox?sender_id=" + encodeURIComponent(sender), { cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : { replies: [] };
      })
      .then(function (body) {
        if (forSender === sender) showAnswer(body.replies || [], "bot officer");
      })
      .catch(function () {
        // Offline for a moment: the messages wait on the server for the next try.
      })
      .then(function () {
        inboxBusy = false;
      });
  }

  // --- a QR code at the counter ----------------------------------------------------------

  // A counter's QR code opens the page as /?p=<procedure>: ask for that procedure's overview at
  // once (the first answer), then drop the parameter so that a reload does not ask again.
  function openFromLink() {
    var match = /[?&]p=([a-z0-9][a-z0-9-]{0,63})(?:&|$)/.exec(window.location.search);
    if (!match) return;
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.hash);
    }
    deliver({ text: '/ask_procedure{"procedure":"' + match[1] + '"}', id: randomId(), sender: sender });
  }

  // --- the composer ---------------------------------------------------------------------

  function countChars(text) {
    var clean = String(text).normalize ? String(text).normalize("NFC") : String(text);
    return Array.from(clean.trim()).length;
  }

  function showComposerNote(text, isError) {
    note.textContent = text;
    note.classList.toggle("error", !!isError);
    note.setAttribute("role", isError ? "alert" : "status");
    note.hidden = false;
    input.setAttribute("aria-invalid", isError ? "true" : "false");
  }

  function hideNote() {
    note.hidden = true;
    note.textContent = "";
    input.removeAttribute("aria-invalid");
  }

  function updateCounter() {
    var length = countChars(input.value);
    if (length > MAX_CHARS - COUNTER_FROM) {
      var values = { length: thousands(length), limit: thousands(MAX_CHARS) };
      showComposerNote(fill(TEXT.counter, values), length > MAX_CHARS);
    } else if (!note.hidden) {
      hideNote();
    }
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
    input.style.overflowY = input.scrollHeight > 120 ? "auto" : "hidden";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var length = countChars(input.value);
    if (length > MAX_CHARS) {
      // Refused here, not cut: the citizen keeps the text to shorten it.
      showComposerNote(fill(TEXT.tooLong, { length: thousands(length), limit: thousands(MAX_CHARS) }), true);
      input.focus();
      return;
    }
    var text = input.value;
    input.value = "";
    autoGrow();
    hideNote();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : sendButton.click();
    }
  });
  input.addEventListener("input", function () {
    autoGrow();
    updateCounter();
  });
  clearButton.addEventListener("click", clearHistory);
  window.setInterval(pollInbox, INBOX_EVERY_MS);
  window.setInterval(retireExpired, 60 * 1000);
  document.addEventListener("visibilitychange", pollInbox);
  loadHistory();
  openFromLink();
  pollInbox();
})();
