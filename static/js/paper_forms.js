// The keying screen of a paper order form (orders/paper_forms): Enter moves to the next
// line (as Tab does), the total follows what is typed, a quantity above what is left is
// flagged at once, and "Go to line no." puts the cursor on that line. Without this script
// Enter sends the form back, and the server does the same checks.
(() => {
  const form = document.getElementById("paper-keying");
  if (!form) return;
  const fields = [...form.querySelectorAll("input[data-line]")];
  const total = document.getElementById("paper-total");
  const jump = document.getElementById("paper-jump");
  const money = new Intl.NumberFormat(document.documentElement.lang || "fr", {
    style: "currency",
    currency: "EUR",
  });
  const cents = (price) => Math.round(parseFloat(price) * 100);

  function check(field) {
    const text = field.value.trim();
    const error = document.getElementById("e" + field.dataset.line);
    let message = "";
    if (text !== "" && !/^[0-9]{1,6}$/.test(text)) {
      message = form.dataset.notAQuantity;
    } else if (text !== "" && field.dataset.available !== undefined) {
      const left = parseInt(field.dataset.available, 10);
      const wanted = parseInt(text, 10);
      if (wanted > 0 && left === 0) message = form.dataset.noneLeft;
      else if (wanted > left) message = form.dataset.onlyLeft.replace("{count}", left);
    }
    error.textContent = message;
    field.toggleAttribute("aria-invalid", message !== "");
    field.closest(".paper-line").classList.toggle("has-error", message !== "");
  }

  function count() {
    let sum = 0;
    for (const field of fields) {
      const text = field.value.trim();
      if (/^[0-9]{1,6}$/.test(text)) sum += cents(field.dataset.price) * parseInt(text, 10);
    }
    total.textContent = money.format(sum / 100);
  }

  form.addEventListener("input", (event) => {
    if (!event.target.dataset.line) return;
    check(event.target);
    count();
  });

  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const target = event.target;
    if (target === jump) {
      event.preventDefault();
      const line = document.getElementById("l" + jump.value.trim());
      if (line) {
        jump.value = "";
        line.focus();
        line.select();
      } else {
        jump.setCustomValidity(form.dataset.notOnForm);
        jump.reportValidity();
        jump.setCustomValidity("");
      }
    } else if (target.dataset.line) {
      event.preventDefault();
      const next = fields[fields.indexOf(target) + 1];
      (next || form.querySelector("select, button[value=review]")).focus();
    }
  });
})();
