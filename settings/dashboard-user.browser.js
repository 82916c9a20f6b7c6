// @ts-nocheck -- browser code, served to the dashboard as /factoryhub/dashboard-user.js (not run by Node).
/* global document, window */
// On every dashboard page: who is logged in, and a Log out button (a shared tablet changes hands).
(function () {
  'use strict';
  function show(user) {
    if (document.getElementById('fh-user')) return;
    var box = document.createElement('div');
    box.id = 'fh-user';
    box.setAttribute('style',
      'position:fixed;top:6px;right:10px;z-index:1000;display:flex;align-items:center;gap:8px;' +
      'font:14px system-ui,sans-serif;color:#fff;background:rgba(0,0,0,.25);padding:4px 6px 4px 10px;border-radius:4px');
    var name = document.createElement('span');
    name.id = 'fh-user-name';
    name.textContent = user.username;
    name.title = 'Logged in as ' + user.username + ' (' + user.role + ')';
    var form = document.createElement('form');
    form.method = 'post';
    form.action = '/factoryhub/logout';
    form.style.margin = '0';
    var button = document.createElement('button');
    button.id = 'fh-logout';
    button.type = 'submit';
    button.textContent = 'Log out';
    button.setAttribute('style', 'font:inherit;color:#097479;background:#fff;border:0;border-radius:3px;padding:2px 8px;cursor:pointer');
    form.appendChild(button);
    box.appendChild(name);
    box.appendChild(form);
    document.body.appendChild(box);
  }
  fetch('/factoryhub/session', { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(function (res) { return res.ok ? res.json() : null; })
    .then(function (user) {
      if (!user || typeof user.username !== 'string') return;
      if (document.body) show(user);
      else window.addEventListener('DOMContentLoaded', function () { show(user); });
    })
    .catch(function () { /* no badge: the page still works */ });
})();
