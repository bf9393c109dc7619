"""The email's own words (greeting, link lines, unsubscribe pages) in the languages the survey templates ship in.

The question comes from the survey in the customer's locale; these are the words around it, chosen by the same
locale. A language without an entry here gets English.
"""

from __future__ import annotations

FALLBACK = "en"

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "intro": "We would love to hear how we are doing. One click is all it takes:",
        "nps_low": "not at all likely",
        "nps_high": "extremely likely",
        "csat_low": "very dissatisfied",
        "csat_high": "very satisfied",
        "ces_low": "very difficult",
        "ces_high": "very easy",
        "rating_low": "poor",
        "rating_high": "excellent",
        "open_survey": "Open the survey in your browser",
        "open_survey_text": "Or open the survey in your browser:",
        "thanks": "Thank you for your time.",
        "unsubscribe_line": "You received this email because you are a customer of ours.",
        "unsubscribe": "Unsubscribe from survey emails",
        "reminder": "Reminder: {subject}",
        "confirm_title": "Unsubscribe from survey emails?",
        "confirm_body": "We will stop sending survey emails to {email}.",
        "confirm_button": "Unsubscribe",
        "done_title": "You are unsubscribed",
        "done_body": "We will send no more survey emails to this address. Sorry to see you go.",
        "not_found_title": "This link is not valid",
        "not_found_body": "Please check that you opened the whole link from your email.",
        "expired_title": "This link has expired",
        "expired_body": "Please use the unsubscribe link in a more recent email from us.",
    },
    "de": {
        "greeting": "Hallo {name},",
        "greeting_anonymous": "Hallo,",
        "intro": "Wir möchten gern wissen, wie zufrieden Sie mit uns sind. Ein Klick genügt:",
        "nps_low": "überhaupt nicht wahrscheinlich",
        "nps_high": "äußerst wahrscheinlich",
        "csat_low": "sehr unzufrieden",
        "csat_high": "sehr zufrieden",
        "ces_low": "sehr schwierig",
        "ces_high": "sehr einfach",
        "rating_low": "schlecht",
        "rating_high": "ausgezeichnet",
        "open_survey": "Umfrage im Browser öffnen",
        "open_survey_text": "Oder öffnen Sie die Umfrage im Browser:",
        "thanks": "Vielen Dank für Ihre Zeit.",
        "unsubscribe_line": "Sie erhalten diese E-Mail, weil Sie Kunde bei uns sind.",
        "unsubscribe": "Keine Umfrage-E-Mails mehr erhalten",
        "reminder": "Erinnerung: {subject}",
        "confirm_title": "Keine Umfrage-E-Mails mehr erhalten?",
        "confirm_body": "Wir senden dann keine Umfrage-E-Mails mehr an {email}.",
        "confirm_button": "Abmelden",
        "done_title": "Sie sind abgemeldet",
        "done_body": "Wir senden keine Umfrage-E-Mails mehr an diese Adresse.",
        "not_found_title": "Dieser Link ist ungültig",
        "not_found_body": "Bitte prüfen Sie, ob Sie den vollständigen Link aus Ihrer E-Mail geöffnet haben.",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired_body": "Bitte nutzen Sie den Abmeldelink in einer neueren E-Mail von uns.",
    },
    "es": {
        "greeting": "Hola, {name}:",
        "greeting_anonymous": "Hola:",
        "intro": "Nos encantaría saber cómo lo estamos haciendo. Solo hace falta un clic:",
        "nps_low": "nada probable",
        "nps_high": "muy probable",
        "csat_low": "muy insatisfecho",
        "csat_high": "muy satisfecho",
        "ces_low": "muy difícil",
        "ces_high": "muy fácil",
        "rating_low": "malo",
        "rating_high": "excelente",
        "open_survey": "Abrir la encuesta en el navegador",
        "open_survey_text": "O abra la encuesta en su navegador:",
        "thanks": "Gracias por su tiempo.",
        "unsubscribe_line": "Recibe este correo porque es cliente nuestro.",
        "unsubscribe": "Darse de baja de los correos de encuestas",
        "reminder": "Recordatorio: {subject}",
        "confirm_title": "¿Darse de baja de los correos de encuestas?",
        "confirm_body": "Dejaremos de enviar correos de encuestas a {email}.",
        "confirm_button": "Darse de baja",
        "done_title": "Se ha dado de baja",
        "done_body": "No enviaremos más correos de encuestas a esta dirección.",
        "not_found_title": "Este enlace no es válido",
        "not_found_body": "Compruebe que ha abierto el enlace completo de su correo.",
        "expired_title": "Este enlace ha caducado",
        "expired_body": "Utilice el enlace para darse de baja de un correo más reciente.",
    },
}


def words(language: str) -> dict[str, str]:
    """The wording for a language ('de'), English when there is none."""
    return _WORDS.get(language, _WORDS[FALLBACK])
