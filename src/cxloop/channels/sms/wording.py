"""The SMS's own words around the survey's question, in the languages the survey templates ship in (English when
the customer's language has no entry). Kept short: a message over 160 GSM characters costs two."""

from __future__ import annotations

FALLBACK = "en"

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "reply_scale": "Reply {low}-{high}",
        "or_link": "or answer here: {link}",
        "answer_at_link": "Please answer here: {link}",
        "reply_stop": "Reply STOP to opt out.",
        "reminder": "Reminder:",
        "thanks": "Thank you for your feedback!",
        "correction": "Sorry, please reply with a number from {low} to {high}.",
        "score_first": "Please reply with a number from {low} to {high} first.",
        "already_answered": "Thank you, we have your answers already.",
        "no_survey": "Thank you for your message. There is no open survey for this number.",
        "closed": "Thank you, but this survey is closed now.",
        "stopped": "You will get no more text messages from us. Reply START to opt back in.",
        "started": "You will get our text messages again. Reply STOP to opt out.",
        "help": "Reply with a number to answer our survey. Reply STOP to opt out, START to opt back in.",
    },
    "de": {
        "reply_scale": "Antworten Sie mit {low}-{high}",
        "or_link": "oder hier: {link}",
        "answer_at_link": "Bitte antworten Sie hier: {link}",
        "reply_stop": "STOP zum Abmelden.",
        "reminder": "Erinnerung:",
        "thanks": "Vielen Dank für Ihr Feedback!",
        "correction": "Bitte antworten Sie mit einer Zahl von {low} bis {high}.",
        "score_first": "Bitte antworten Sie zuerst mit einer Zahl von {low} bis {high}.",
        "already_answered": "Vielen Dank, Ihre Antworten liegen uns schon vor.",
        "no_survey": "Vielen Dank für Ihre Nachricht. Für diese Nummer ist keine Umfrage offen.",
        "closed": "Vielen Dank, aber diese Umfrage ist bereits geschlossen.",
        "stopped": "Sie erhalten keine SMS mehr von uns. Mit START melden Sie sich wieder an.",
        "started": "Sie erhalten wieder SMS von uns. STOP zum Abmelden.",
        "help": "Antworten Sie mit einer Zahl auf unsere Umfrage. STOP zum Abmelden, START zum Anmelden.",
    },
    "es": {
        "reply_scale": "Responda {low}-{high}",
        "or_link": "o conteste aquí: {link}",
        "answer_at_link": "Conteste aquí: {link}",
        "reply_stop": "Responda STOP para darse de baja.",
        "reminder": "Recordatorio:",
        "thanks": "¡Gracias por su opinión!",
        "correction": "Disculpe, responda con un número del {low} al {high}.",
        "score_first": "Responda primero con un número del {low} al {high}.",
        "already_answered": "Gracias, ya tenemos sus respuestas.",
        "no_survey": "Gracias por su mensaje. No hay ninguna encuesta abierta para este número.",
        "closed": "Gracias, pero esta encuesta ya está cerrada.",
        "stopped": "No recibirá más mensajes nuestros. Responda START para volver a suscribirse.",
        "started": "Volverá a recibir nuestros mensajes. Responda STOP para darse de baja.",
        "help": "Responda con un número a nuestra encuesta. STOP para darse de baja, START para volver.",
    },
}


def words(language: str) -> dict[str, str]:
    """The wording for a language ('de'), English when there is none."""
    return _WORDS.get(language, _WORDS[FALLBACK])
