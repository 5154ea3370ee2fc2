"""The HTML of the simulated Webull sign-in: login, consent and notice pages.

Plain forms posted to the server, no JavaScript; styles are inline so that the strict content
security policy (no external resources) holds. Legible in QtWebEngine with only DejaVu fonts.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from starlette.responses import HTMLResponse

#: nothing external, no scripts, no framing; forms may post (and be redirected) anywhere
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

SCOPE_WORDS = {
    "user": "See your name and which accounts you have",
    "trade": "See your balances, positions and orders",
    "wr": "Place, change and cancel orders for you",
}

_STYLE = """
*{box-sizing:border-box}
button,input{font:inherit}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#eef2f7;color:#1b2430;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",Arial,sans-serif}
main{width:100%;max-width:420px;margin:24px;background:#fff;border-radius:12px;
box-shadow:0 6px 24px rgba(20,40,80,.12);overflow:hidden}
header{background:#0b5cff;color:#fff;padding:18px 24px}
header .brand{font-size:20px;font-weight:700;letter-spacing:.2px}
header .sub{font-size:13px;opacity:.85}
section{padding:22px 24px 26px}
h1{font-size:19px;margin:0 0 14px}
label{display:block;font-weight:600;font-size:13px;margin:14px 0 6px}
input[type=text],input[type=password]{width:100%;padding:10px 12px;font-size:15px;
border:1px solid #b8c2d0;border-radius:8px;background:#fff;color:#1b2430}
input:focus{outline:2px solid #0b5cff;outline-offset:1px;border-color:#0b5cff}
.buttons{display:flex;gap:12px;margin-top:22px}
button{flex:1;padding:11px 14px;font-size:15px;font-weight:600;border-radius:8px;
cursor:pointer;border:1px solid #0b5cff}
button.primary{background:#0b5cff;color:#fff}
button.primary:hover{background:#0847c7}
button.secondary{background:#fff;color:#0b5cff}
button.secondary:hover{background:#eef3ff}
.error{background:#fdecec;color:#9b1c1c;border:1px solid #f5c2c2;border-radius:8px;
padding:10px 12px;margin-bottom:6px}
.hint{margin-top:22px;background:#f6f8fb;border:1px dashed #b8c2d0;border-radius:8px;
padding:10px 12px;font-size:13px}
.hint table{border-collapse:collapse;width:100%;margin-top:6px}
.hint td{padding:3px 6px 3px 0;font-family:"DejaVu Sans Mono",Consolas,monospace}
.app{font-weight:700}
ul{margin:8px 0 0;padding-left:20px}
li{margin:4px 0}
.scope{display:inline-block;font-family:"DejaVu Sans Mono",Consolas,monospace;
background:#eef3ff;color:#0847c7;border-radius:6px;padding:1px 7px;font-size:13px}
.who{color:#4a5668;font-size:14px;margin-bottom:12px}
.muted{color:#5d6878;font-size:13px;margin-top:16px}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_STYLE}</style></head>
<body><main>
<header><div class="brand">Webull</div><div class="sub">Simulated sign-in — Pennant demo</div>
</header>
<section>{body}</section>
</main></body></html>"""
    return HTMLResponse(html, status, headers=HEADERS)


def _hidden(flow: str, csrf: str) -> str:
    return (f'<input type="hidden" name="flow" value="{escape(flow)}">'
            f'<input type="hidden" name="csrf" value="{escape(csrf)}">')


def login_page(*, app_name: str, flow: str, csrf: str, users: Sequence[tuple[str, str]],
               error: str | None = None, username: str = "", status: int = 200) -> HTMLResponse:
    rows = "".join(f"<tr><td>{escape(u)}</td><td>{escape(p)}</td></tr>" for u, p in users)
    problem = f'<div class="error" role="alert">{escape(error)}</div>' if error else ""
    body = f"""<h1>Sign in to continue to <span class="app">{escape(app_name)}</span></h1>
{problem}
<form method="post" action="/oauth2/login" autocomplete="off">
{_hidden(flow, csrf)}
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{escape(username)}" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<div class="buttons"><button class="primary" type="submit">Sign in</button></div>
</form>
<div class="hint"><strong>Demo users</strong> (this is a simulator, not Webull):
<table>{rows}</table></div>"""
    return _page("Sign in — Webull (simulated)", body, status)


def consent_page(*, app_name: str, scope: str, user_name: str, accounts: Sequence[str],
                 flow: str, csrf: str) -> HTMLResponse:
    words = [SCOPE_WORDS[p] for p in scope.split(":") if p in SCOPE_WORDS] or [
        "Access your Webull account"]
    grants = "".join(f"<li>{escape(w)}</li>" for w in words)
    listed = "".join(f"<li>{escape(a)}</li>" for a in accounts)
    body = f"""<h1><span class="app">{escape(app_name)}</span> wants to access your Webull account
</h1>
<div class="who">Signed in as <strong>{escape(user_name)}</strong></div>
<div>Requested access <span class="scope">{escape(scope)}</span>:</div>
<ul>{grants}</ul>
<div class="muted">Accounts it will see:</div><ul>{listed}</ul>
<form method="post" action="/oauth2/consent">
{_hidden(flow, csrf)}
<div class="buttons">
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
<button class="primary" type="submit" name="decision" value="approve">Approve</button>
</div></form>
<div class="muted">You can revoke access at any time in the Webull app.</div>"""
    return _page("Authorize — Webull (simulated)", body)


def notice_page(title: str, text: str, status: int) -> HTMLResponse:
    body = f'<h1>{escape(title)}</h1><div class="error" role="alert">{escape(text)}</div>'
    return _page(f"{title} — Webull (simulated)", body, status)
