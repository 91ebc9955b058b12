// Passkeys on the hosted pages: sign in with one (a button, and autofill
// in the name field where the browser offers it), and add one on the
// profile page. Served from the binary, so the pages' Content-Security-Policy
// (script-src 'self') allows it; nothing inline.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) {
    return; // no WebAuthn here: the pages work as they are
  }
  async function post(url, body) {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body || {}),
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) {
      throw new Error(answer.message || "Something went wrong. Please try again.");
    }
    return answer;
  }
  function show(error) {
    const el = document.getElementById("passkey-error");
    if (el) {
      el.textContent = error.message;
      el.hidden = false;
    }
  }

  // Sign-in page.
  const signIn = document.getElementById("passkey-signin");
  if (signIn) {
    signIn.hidden = false;
    const next = signIn.dataset.next || "";
    let pending = null; // the autofill request, aborted by the button
    const run = async (mediation) => {
      const ceremony = await post("/signin/passkey/options");
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(ceremony.publicKey);
      const request = {publicKey};
      if (mediation) {
        pending = new AbortController();
        request.mediation = mediation;
        request.signal = pending.signal;
      }
      const credential = await navigator.credentials.get(request);
      const done = await post("/signin/passkey", {state: ceremony.state, credential: credential.toJSON(), next});
      window.location.assign(done.redirect);
    };
    signIn.addEventListener("click", () => {
      if (pending) {
        pending.abort();
        pending = null;
      }
      run("").catch(show);
    });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((ok) => {
        if (ok) {
          run("conditional").catch((e) => { if (e.name !== "AbortError") show(e); });
        }
      });
    }
  }

  // assert runs the ceremony the server begins at optionsURL and posts the
  // passkey's answer, with the page's own fields, to answerURL; the server
  // answers where to go next.
  async function assert(optionsURL, answerURL, fields) {
    const ceremony = await post(optionsURL);
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(ceremony.publicKey);
    const credential = await navigator.credentials.get({publicKey});
    const done = await post(answerURL, Object.assign({state: ceremony.state, credential: credential.toJSON()}, fields));
    window.location.assign(done.redirect);
  }

  // The second factor after a password: a passkey instead of a code.
  const mfa = document.getElementById("passkey-mfa");
  if (mfa) {
    mfa.hidden = false;
    mfa.addEventListener("click", () => {
      const remember = document.getElementById("f-remember");
      assert("/signin/mfa/passkey/options", "/signin/mfa/passkey",
        {next: mfa.dataset.next || "", remember: Boolean(remember && remember.checked)}).catch(show);
    });
  }

  // Confirming it is you before a change: the password typed on the page
  // and a passkey. Without a code field the passkey is the form's only
  // way on, so Enter in the password runs it too.
  const reauth = document.getElementById("passkey-reauth");
  if (reauth) {
    reauth.hidden = false;
    const form = reauth.form;
    const run = () => {
      const password = form.querySelector("input[name=password]").value;
      if (!password) {
        show(new Error("Enter your password."));
        return;
      }
      assert("/profile/reauth/passkey/options", "/profile/reauth/passkey",
        {password, next: reauth.dataset.next || ""}).catch(show);
    };
    reauth.addEventListener("click", run);
    if (!form.querySelector("[name=code]")) {
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        run();
      });
    }
  }

  // Profile page.
  const add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    add.addEventListener("submit", (ev) => {
      ev.preventDefault();
      (async () => {
        const ceremony = await post("/profile/passkeys/options");
        const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(ceremony.publicKey);
        const credential = await navigator.credentials.create({publicKey});
        const name = add.querySelector("input[name=name]").value;
        await post("/profile/passkeys", {name, state: ceremony.state, credential: credential.toJSON()});
        window.location.assign("/profile");
      })().catch(show);
    });
  }
})();
