// Distribution day without a network (the rules are in pickup_points/offline.py).
// The point's list is kept on the phone (IndexedDB, refreshed whenever the page opens
// online; a service worker keeps the page itself). Every tap becomes a change with an id
// of its own, queued, shown on its row at once, and sent when the network allows; the
// server applies each change once and answers for each. The badge at the foot of the
// page says how many changes wait, and which ones were refused and why.
// Without this script the page's forms post as they always did.
(() => {
  "use strict";
  const box = document.getElementById("offline");
  if (!box || !window.indexedDB || !window.fetch || !window.crypto) return;
  const S = JSON.parse(document.getElementById("offline-strings").textContent);
  const list = box.dataset.list;
  const user = box.dataset.user;
  const lang = document.documentElement.lang || "fr";
  const plurals = new Intl.PluralRules(lang);
  const money = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });
  const status = document.getElementById("offline-status");
  const refusedList = document.getElementById("offline-refused");
  let csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  let sending = false;
  let needLogin = false;
  let savedAt = null;
  let syncedAt = null;

  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  const count = (forms, n) => fill(forms[plurals.select(n)] || forms.other, { count: n });
  const clock = (date) => date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  const cents = (text) => Math.round(Number(text) * 100);
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

  // IndexedDB: "lists" (the snapshot of each point's list for a cycle), "queue" (the
  // changes made on this phone, waiting or refused).
  const opening = new Promise((resolve, reject) => {
    const request = indexedDB.open("foodhub-distribution", 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore("lists", { keyPath: "list" });
      request.result.createObjectStore("queue", { keyPath: "id" }).createIndex("list", "list");
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  async function store(name, mode, work) {
    const db = await opening;
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const request = work(transaction.objectStore(name));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  }
  const put = (name, value) => store(name, "readwrite", (s) => s.put(value));
  const forget = (id) => store("queue", "readwrite", (s) => s.delete(id));
  const snapshot = () => store("lists", "readonly", (s) => s.get(list));
  const queue = async () => (await store("queue", "readonly", (s) => s.index("list").getAll(list)))
    .sort((a, b) => a.seq - b.seq);

  // The rows.

  const rowOf = (order) => document.getElementById(`order-${order}`);

  function replaceRow(order, html) {
    const old = rowOf(order);
    if (!old) return; // not shown (a search)
    if (!html) return old.remove(); // no longer on the list (cancelled)
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const row = template.content.firstElementChild;
    old.replaceWith(row);
    if (window.htmx) window.htmx.process(row);
  }

  function replaceCounts(html) {
    const old = document.getElementById("counts");
    if (!old || !html) return;
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    old.replaceWith(template.content.firstElementChild);
  }

  // A message on a row: why a change was refused ("row-error"), or what the server did
  // differently from what the phone showed ("row-note").
  function showError(row, message, kind = "row-error") {
    let error = row.querySelector(`.${kind}`);
    if (!error) {
      error = document.createElement("p");
      error.className = kind;
      error.setAttribute("role", kind === "row-error" ? "alert" : "status");
      row.append(error);
    }
    error.textContent = message;
  }

  function pendingNote(where, action, text) {
    const note = document.createElement("span");
    note.className = "pending";
    note.textContent = text ? `${text} — ${S.pending}` : S.pending;
    where.append(note);
  }

  // What a change waiting to be sent looks like on its row.
  function showPending(action) {
    const row = rowOf(action.order);
    const shown = row ? row.dataset.pending || "" : "";
    if (!row || shown.includes(action.id)) return; // once per row as the server sent it
    row.dataset.pending = `${shown} ${action.id}`;
    if (action.kind === "collected" || action.kind === "uncollected") {
      const on = action.kind === "collected";
      const form = row.querySelector("form[data-offline=collected]");
      row.classList.toggle("is-collected", on);
      row.dataset.tick = on ? action.id : "";
      form.querySelector("input[name=collected]").value = on ? "0" : "1";
      const button = form.querySelector("button");
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? `✓ ${S.collected}` : S.collected;
      const name = document.createElement("span");
      name.className = "visually-hidden";
      name.textContent = ` — ${row.dataset.name}${on ? ` (${S.undo})` : ""}`;
      button.append(name);
      form.querySelectorAll(".muted, .pending").forEach((old) => old.remove());
      pendingNote(form, action, "");
    } else {
      const form = row.querySelector(`form[data-offline=${action.kind}]`);
      if (form) form.remove();
      const text = action.kind === "payment"
        ? fill(S.paid, { amount: money.format(Number(action.amount)), method: action.label })
        : S.credit;
      pendingNote(row.querySelector(".household-actions"), action, text);
      if (action.kind === "payment") {
        row.dataset.due = (Math.max(0, cents(row.dataset.due) - cents(action.amount)) / 100)
          .toFixed(2);
      }
    }
  }

  // The badge: the truth about the queue.
  async function refresh() {
    const all = await queue();
    const mine = all.filter((action) => action.user === user);
    const waiting = mine.filter((action) => action.state === "waiting").length;
    const others = all.filter((a) => a.user !== user && a.state === "waiting").length;
    let text;
    if (!navigator.onLine) text = count(S.offline, waiting);
    else if (needLogin && waiting) text = S.login;
    else if (waiting) text = count(S.sending, waiting);
    else if (syncedAt) text = fill(S.synced, { time: clock(syncedAt) });
    else text = savedAt ? fill(S.saved, { time: clock(savedAt) }) : "";
    if (others) text += ` ${fill(S.other_account, { count: others })}`;
    if (status.textContent !== text) status.textContent = text;
    box.classList.toggle("is-offline", !navigator.onLine);
    box.classList.toggle("has-waiting", waiting > 0);
    const refused = mine.filter((action) => action.state === "refused");
    refusedList.replaceChildren(...refused.map((action) => {
      const item = document.createElement("li");
      item.textContent = fill(S.refused, { name: action.name, message: action.message });
      const read = document.createElement("button");
      read.type = "button";
      read.className = "secondary";
      read.textContent = S.dismiss;
      const about = document.createElement("span");
      about.className = "visually-hidden";
      about.textContent = ` — ${action.name}`;
      read.append(about);
      read.addEventListener("click", async () => { await forget(action.id); refresh(); });
      item.append(" ", read);
      return item;
    }));
    refusedList.hidden = !refused.length;
    box.hidden = !text && !refused.length;
  }

  // A tap: a change with its own id, kept, shown, sent when possible.
  async function tap(form, submitter) {
    const row = form.closest("li.household");
    const action = {
      id: crypto.randomUUID ? crypto.randomUUID() : uuid4(),
      list,
      user,
      seq: Date.now() + Math.random(),
      order: Number(row.dataset.order),
      name: row.dataset.name,
      made_at: new Date().toISOString(),
      state: "waiting",
    };
    const kind = form.dataset.offline;
    if (kind === "collected") {
      const on = form.querySelector("input[name=collected]").value === "1";
      action.kind = on ? "collected" : "uncollected";
      // Undo the tick this phone shows: its own (not sent yet) or the server's.
      if (!on && row.dataset.tick) action.undoes = row.dataset.tick;
      else if (!on) action.seen = row.dataset.collectedAt;
    } else if (kind === "payment") {
      const typed = form.querySelector("input[name=amount]").value.replace(/\s/g, "");
      const keep = Boolean(submitter && submitter.name === "keep_change");
      if (!/^\d{1,6}([.,]\d{1,2})?$/.test(typed) || cents(typed.replace(",", ".")) <= 0) {
        return showError(row, S.bad_amount);
      }
      const amount = typed.replace(",", ".");
      if (cents(amount) > cents(row.dataset.due) && !keep) {
        return showError(row, fill(S.too_much, { due: money.format(Number(row.dataset.due)) }));
      }
      const method = form.querySelector("select[name=method]");
      Object.assign(action, {
        kind, amount, method: method.value, label: method.selectedOptions[0].textContent,
        keep_change: keep, due: row.dataset.due,
      });
    } else {
      action.kind = "credit";
    }
    await put("queue", action);
    row.querySelector(".row-error")?.remove();
    showPending(action);
    await refresh();
    sync();
  }

  function uuid4() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Send the waiting changes (this account's), in the order they were made; one sending
  // at a time (the flag is set before anything is awaited).
  async function sync() {
    if (sending || !navigator.onLine) return refresh();
    sending = true;
    let more = false;
    try {
      more = await send();
    } finally {
      sending = false;
    }
    if (more) sync();
    else refresh();
  }

  function post(waiting) {
    return fetch(box.dataset.sync, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual", // a log-in page is not an answer
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({
        actions: waiting.map(({ id, kind, order, method, amount, keep_change, due, seen, undoes, made_at }) => (
          { id, kind, order, method, amount, keep_change, due, seen, undoes, made_at }
        )),
      }),
    });
  }

  // One batch; true when more changes wait to be sent.
  async function send() {
    const waiting = (await queue())
      .filter((action) => action.state === "waiting" && action.user === user)
      .slice(0, 100);
    if (!waiting.length) return false;
    let answer = null;
    try {
      let response = await post(waiting);
      // Refused for its CSRF token (a log-in in another tab renews it): once more with a new one.
      if (response.status === 403 && (await keepList())) response = await post(waiting);
      needLogin = response.type === "opaqueredirect" || response.status === 403;
      if (response.ok) answer = await response.json();
    } catch (error) {
      return false; // no network after all: the changes wait
    }
    if (!answer) return false; // the server could not answer: they wait too
    const saved = await snapshot();
    for (const result of answer.results) {
      const action = waiting.find((a) => a.id === result.id);
      if (!action) continue;
      if (result.status === "applied") await forget(action.id);
      else await put("queue", { ...action, state: "refused", message: result.message });
    }
    for (const [order, html] of Object.entries(answer.rows)) {
      replaceRow(order, html);
      if (saved) {
        saved.rows = saved.rows.filter((row) => String(row.order) !== order);
        if (html) saved.rows.push({ order: Number(order), html });
      }
    }
    replaceCounts(answer.counts);
    if (saved) await put("lists", { ...saved, counts: answer.counts, generated_at: new Date().toISOString() });
    for (const result of answer.results) {
      const row = result.message && rowOf(result.order);
      if (row) showError(row, result.message, result.status === "refused" ? "row-error" : "row-note");
    }
    // Changes made while these were on their way: shown, and sent next.
    const left = (await queue()).filter((a) => a.state === "waiting");
    left.forEach(showPending);
    syncedAt = new Date();
    const answered = answer.results.some((result) => waiting.some((a) => a.id === result.id));
    return answered && left.some((a) => a.user === user);
  }

  // Keep the list as the server has it now (and a fresh CSRF token); false if it cannot.
  async function keepList() {
    try {
      const response = await fetch(box.dataset.snapshot, { credentials: "same-origin", redirect: "manual" });
      if (!response.ok) return false;
      const fresh = await response.json();
      csrf = fresh.csrf;
      await put("lists", { ...fresh, list });
      return true;
    } catch (error) {
      return false; // offline after all: the list kept before will do
    }
  }

  // Opening the page: keep the list (or, offline, show the last one kept).
  async function start() {
    const fresh = navigator.onLine && (await keepList());
    const saved = await snapshot();
    // The page came from the phone's copy: the list kept since is newer.
    if (!fresh && saved && Date.parse(saved.generated_at) > Date.parse(box.dataset.generatedAt)) {
      saved.rows.forEach((row) => replaceRow(row.order, row.html));
      replaceCounts(saved.counts);
      csrf = saved.csrf || csrf;
    }
    if (saved) savedAt = new Date(saved.generated_at);
    (await queue()).filter((a) => a.state === "waiting").forEach(showPending);
    await refresh();
    sync();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches || !form.matches("#households form[data-offline]")) return;
    // Every tap goes through the queue, online or not: one path, each change once.
    event.preventDefault();
    event.stopPropagation(); // htmx's own submit handler
    // A double tap makes one change: money handed over once is recorded once.
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    tap(form, event.submitter)
      .catch((error) => showError(form.closest("li"), String(error)))
      .finally(() => delete form.dataset.busy);
  }, true);

  // Offline, the search looks through the rows on the page.
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (navigator.onLine) return;
    event.preventDefault();
    const wanted = fold(document.getElementById("household-search")?.value.trim() || "");
    document.querySelectorAll("#households > li.household").forEach((row) => {
      row.hidden = Boolean(wanted) && !fold(row.textContent).includes(wanted);
    });
  });

  // A search brings rows from the server: show the changes still waiting on them.
  document.addEventListener("htmx:afterSwap", async () => {
    (await queue()).filter((a) => a.state === "waiting").forEach(showPending);
  });

  window.addEventListener("online", () => sync());
  window.addEventListener("offline", refresh);
  setInterval(() => sync(), 30000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(box.dataset.worker, { scope: box.dataset.scope })
      .then(() => {
        if (navigator.serviceWorker.controller || !window.caches) return;
        // The first visit: this page and its files came before the worker; keep them now.
        const files = [...document.querySelectorAll("link[rel=stylesheet], script[src]")];
        caches.open("foodhub-distribution-v1")
          .then((cache) => cache.addAll([location.href, ...files.map((e) => e.href || e.src)]))
          .catch(() => {});
      })
      .catch(() => {});
  }

  start().catch((error) => { status.textContent = String(error); box.hidden = false; });
})();
