"""Email = a name + a context + three templates, sent over SMTP (STARTTLS, TLS or plain).

``make_message("weekly", to, ctx)`` renders ``templates/email/weekly-subject.txt``,
``weekly-body.txt`` and ``weekly-body.html`` into one multipart message: a plain-text part and
an HTML part whose charts travel as inline PNG parts referenced by ``cid:``. Nothing in the HTML
depends on CSS classes or on images: the styles are inline, and every colour is also written
as text ("BELOW MIN"), because mail clients drop both (Outlook in particular).

The SMTP password is read from the environment only (see ``report_config.SmtpSettings``).
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from typing import Any, cast

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from servicelevel.config.delivery import SmtpSettings
from servicelevel.errors import ServicelevelError


class MailError(ServicelevelError):
    """The mail server refused the message or could not be reached."""


@dataclass(frozen=True, slots=True)
class InlineImage:
    """A PNG shown in the HTML body as ``<img src="cid:{{ cid }}">``."""

    cid: str
    png: bytes
    filename: str


def new_cid(name: str) -> str:
    """A Content-ID unique across messages, so clients never mix up two weeks' charts."""
    return f"{name}.{uuid.uuid4().hex[:12]}@servicelevel"


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("servicelevel.reports", "templates/email"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, ctx: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text body, html body) of template set ``name``."""
    env = environment()
    subject = env.get_template(f"{name}-subject.txt").render(ctx)
    text = env.get_template(f"{name}-body.txt").render(ctx)
    html = env.get_template(f"{name}-body.html").render(ctx)
    return " ".join(subject.split()), text, html


def make_message(
    name: str,
    to: Sequence[str],
    ctx: dict[str, Any],
    *,
    sender: str,
    images: Sequence[InlineImage] = (),
) -> EmailMessage:
    subject, text, html = render(name, ctx)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="servicelevel")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if images:
        # The multipart/alternative's second part is the HTML just added, an EmailMessage.
        html_part = cast(EmailMessage, msg.get_payload()[1])  # type: ignore[index]
        for image in images:
            html_part.add_related(
                image.png,
                maintype="image",
                subtype="png",
                cid=f"<{image.cid}>",
                filename=image.filename,
                disposition="inline",
            )
    return msg


def send(
    message: EmailMessage,
    smtp: SmtpSettings,
    *,
    ssl_context: ssl.SSLContext | None = None,
    attempts: int = 2,
) -> None:
    """Deliver ``message``; one more try if the server drops the connection (healthchecks does
    the same on ``SMTPServerDisconnected``). Raises ``MailError`` on failure."""
    context = ssl_context or ssl.create_default_context()
    last: Exception | None = None
    for _ in range(max(attempts, 1)):
        try:
            _send_once(message, smtp, context)
            return
        except smtplib.SMTPServerDisconnected as exc:
            last = exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{smtp.host}:{smtp.effective_port}: {_describe(exc)}") from exc
    raise MailError(f"{smtp.host}:{smtp.effective_port}: {_describe(last)}") from last


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        error = cast(bytes, exc.smtp_error)  # smtplib sets bytes (typeshed also allows str)
        detail = error.decode(errors="replace") if error else ""
        return f"{exc.smtp_code} {detail}".strip()
    return f"{type(exc).__name__}: {exc}" if exc else "unknown error"


def _send_once(message: EmailMessage, smtp: SmtpSettings, context: ssl.SSLContext) -> None:
    port, timeout = smtp.effective_port, smtp.timeout_seconds
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, port, timeout=timeout)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        password = smtp.password()
        if smtp.username and password is not None:
            client.login(smtp.username, password)
        client.send_message(message)
