"""The classic CX programmes as ready-made surveys, in English, German and Spanish.

Each asks one score, then an open follow-up whose wording depends on the score (detractors are asked what went
wrong, promoters what they liked). Create one with `create_survey(session, data=get_template("relationship-nps"))`;
override the key, name or status with `model_copy(update=...)`.
"""

from __future__ import annotations

from typing import Any

from cxloop.surveys.schemas import SurveyCreate


def _q(qid: str, kind: str, en: str, de: str, es: str, **extra: Any) -> dict[str, Any]:
    return {"id": qid, "kind": kind, "text": {"en": en, "de": de, "es": es}, **extra}


def _option(key: str, en: str, de: str, es: str) -> dict[str, Any]:
    return {"key": key, "text": {"en": en, "de": de, "es": es}}


_RELATIONSHIP_NPS: dict[str, Any] = {
    "key": "relationship-nps",
    "name": "Relationship NPS",
    # Asked every quarter: one answer per 60 days (counted from the answer, so a customer who answered late in one
    # quarter can still answer the next quarter's invitation), never "once ever".
    "response_limit": "per_period",
    "response_period_days": 60,
    "definition": {
        "questions": [
            _q(
                "nps",
                "nps",
                "How likely are you to recommend us to a friend or colleague?",
                "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
                "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
                required=True,
            ),
            _q(
                "improve",
                "text",
                "We are sorry to hear that. What should we do better?",
                "Das tut uns leid. Was sollten wir besser machen?",
                "Lamentamos oír eso. ¿Qué deberíamos mejorar?",
                show_if={"question": "nps", "op": "<=", "value": 6},
            ),
            _q(
                "missing",
                "text",
                "What would make you rate us a 9 or 10?",
                "Was würde Sie dazu bringen, uns eine 9 oder 10 zu geben?",
                "¿Qué haría que nos diera un 9 o un 10?",
                show_if={"question": "nps", "op": "in", "value": [7, 8]},
            ),
            _q(
                "like",
                "text",
                "Great to hear! What do you like most about us?",
                "Das freut uns! Was gefällt Ihnen an uns am besten?",
                "¡Nos alegra! ¿Qué es lo que más le gusta de nosotros?",
                show_if={"question": "nps", "op": ">=", "value": 9},
            ),
        ]
    },
}

_POST_SUPPORT_CSAT: dict[str, Any] = {
    "key": "post-support-csat",
    "name": "Post-support CSAT",
    "definition": {
        "questions": [
            _q(
                "csat",
                "csat",
                "How satisfied are you with the support you received?",
                "Wie zufrieden sind Sie mit der erhaltenen Unterstützung?",
                "¿Qué tan satisfecho está con la ayuda que recibió?",
                required=True,
            ),
            _q(
                "resolved",
                "single_choice",
                "Was your issue resolved?",
                "Wurde Ihr Anliegen gelöst?",
                "¿Se resolvió su problema?",
                options=[
                    _option("yes", "Yes", "Ja", "Sí"),
                    _option("partly", "Partly", "Teilweise", "En parte"),
                    _option("no", "No", "Nein", "No"),
                ],
            ),
            _q(
                "went-wrong",
                "text",
                "What went wrong, and how could we have helped better?",
                "Was lief schief, und wie hätten wir besser helfen können?",
                "¿Qué salió mal y cómo podríamos haberle ayudado mejor?",
                show_if={"question": "csat", "op": "<=", "value": 3},
            ),
            _q(
                "went-well",
                "text",
                "What did our team do well?",
                "Was hat unser Team gut gemacht?",
                "¿Qué hizo bien nuestro equipo?",
                show_if={"question": "csat", "op": ">=", "value": 4},
            ),
        ]
    },
}

_ONBOARDING_CES: dict[str, Any] = {
    "key": "onboarding-ces",
    "name": "Onboarding CES",
    "definition": {
        "questions": [
            _q(
                "ces",
                "ces",
                "How easy was it to set up your account?",
                "Wie einfach war es, Ihr Konto einzurichten?",
                "¿Qué tan fácil fue configurar su cuenta?",
                required=True,
            ),
            _q(
                "difficult",
                "text",
                "What made it difficult?",
                "Was hat es schwierig gemacht?",
                "¿Qué lo hizo difícil?",
                show_if={"question": "ces", "op": "<=", "value": 4},
            ),
            _q(
                "easy",
                "text",
                "What helped most?",
                "Was hat am meisten geholfen?",
                "¿Qué le ayudó más?",
                show_if={"question": "ces", "op": ">=", "value": 5},
            ),
        ]
    },
}

_POST_DELIVERY_CSAT: dict[str, Any] = {
    "key": "post-delivery-csat",
    "name": "Post-delivery CSAT",
    "definition": {
        "questions": [
            _q(
                "csat",
                "csat",
                "How satisfied are you with the delivery of your order?",
                "Wie zufrieden sind Sie mit der Lieferung Ihrer Bestellung?",
                "¿Qué tan satisfecho está con la entrega de su pedido?",
                required=True,
            ),
            _q(
                "problems",
                "multiple_choice",
                "What went wrong?",
                "Was ist schiefgelaufen?",
                "¿Qué salió mal?",
                show_if={"question": "csat", "op": "<=", "value": 3},
                options=[
                    _option("late", "It arrived late", "Sie kam zu spät", "Llegó tarde"),
                    _option("damaged", "Something was damaged", "Etwas war beschädigt", "Algo llegó dañado"),
                    _option(
                        "wrong-item",
                        "Wrong or missing item",
                        "Falscher oder fehlender Artikel",
                        "Artículo incorrecto o faltante",
                    ),
                    _option("courier", "The courier", "Der Zusteller", "El repartidor"),
                    _option("other", "Something else", "Etwas anderes", "Otra cosa"),
                ],
            ),
            _q(
                "details",
                "text",
                "Tell us what happened so we can put it right.",
                "Erzählen Sie uns, was passiert ist, damit wir es in Ordnung bringen können.",
                "Cuéntenos qué pasó para que podamos solucionarlo.",
                show_if={"question": "csat", "op": "<=", "value": 3},
            ),
            _q(
                "liked",
                "text",
                "What did you like about the delivery?",
                "Was hat Ihnen an der Lieferung gefallen?",
                "¿Qué le gustó de la entrega?",
                show_if={"question": "csat", "op": ">=", "value": 4},
            ),
        ]
    },
}

_SITE_FEEDBACK: dict[str, Any] = {
    "key": "site-feedback",
    "name": "Website feedback (the widget's feedback button)",
    "definition": {
        "questions": [
            _q(
                "csat",
                "csat",
                "How satisfied are you with this page?",
                "Wie zufrieden sind Sie mit dieser Seite?",
                "¿Qué tan satisfecho está con esta página?",
                required=True,
            ),
            _q(
                "wrong",
                "text",
                "What went wrong?",
                "Was ist schiefgelaufen?",
                "¿Qué salió mal?",
                show_if={"question": "csat", "op": "<=", "value": 3},
            ),
            _q(
                "liked",
                "text",
                "What did you like?",
                "Was hat Ihnen gefallen?",
                "¿Qué le gustó?",
                show_if={"question": "csat", "op": ">=", "value": 4},
            ),
        ]
    },
}


def _verification(metric: str, unhappy: int, en: str, de: str, es: str) -> dict[str, Any]:
    """A case's verification re-survey (docs/cases.md "Verification re-surveys"): the metric again, then what is
    still not right (at most `unhappy`) or what helped. Every invitation may be answered: a customer may have several
    cases."""
    return {
        "key": f"case-verify-{metric}",
        "name": f"Case verification ({metric.upper()})",
        "response_limit": "per_invitation",
        "definition": {
            "questions": [
                _q(metric, metric, en, de, es, required=True),
                _q(
                    "still-wrong",
                    "text",
                    "What is still not right?",
                    "Was ist noch nicht in Ordnung?",
                    "¿Qué todavía no está bien?",
                    show_if={"question": metric, "op": "<=", "value": unhappy},
                ),
                _q(
                    "what-helped",
                    "text",
                    "What made the difference?",
                    "Was hat den Unterschied gemacht?",
                    "¿Qué marcó la diferencia?",
                    show_if={"question": metric, "op": ">", "value": unhappy},
                ),
            ]
        },
    }


_INTRO = (
    "We recently worked on a problem you told us about. ",
    "Wir haben uns kürzlich um ein Problem gekümmert, das Sie uns gemeldet haben. ",
    "Hace poco trabajamos en un problema que nos comunicó. ",
)
_CASE_VERIFY = (
    _verification(
        "nps",
        6,
        _INTRO[0] + "How likely are you now to recommend us to a friend or colleague?",
        _INTRO[1] + "Wie wahrscheinlich ist es jetzt, dass Sie uns weiterempfehlen?",
        _INTRO[2] + "¿Qué probabilidad hay ahora de que nos recomiende a un amigo o colega?",
    ),
    _verification(
        "csat",
        3,
        _INTRO[0] + "How satisfied are you now?",
        _INTRO[1] + "Wie zufrieden sind Sie jetzt?",
        _INTRO[2] + "¿Qué tan satisfecho está ahora?",
    ),
    _verification(
        "ces",
        4,
        _INTRO[0] + "How easy was it to get it solved?",
        _INTRO[1] + "Wie einfach war es, das Problem zu lösen?",
        _INTRO[2] + "¿Qué tan fácil fue resolverlo?",
    ),
)

_TEMPLATES: dict[str, dict[str, Any]] = {
    t["key"]: t
    for t in (
        _RELATIONSHIP_NPS,
        _POST_SUPPORT_CSAT,
        _ONBOARDING_CES,
        _POST_DELIVERY_CSAT,
        _SITE_FEEDBACK,
        *_CASE_VERIFY,
    )
}
TEMPLATE_KEYS: tuple[str, ...] = tuple(_TEMPLATES)


def get_template(key: str) -> SurveyCreate:
    """A fresh SurveyCreate for template `key` (one of TEMPLATE_KEYS); KeyError when unknown."""
    return SurveyCreate.model_validate(_TEMPLATES[key])


def all_templates() -> list[SurveyCreate]:
    """Every template, in a stable order."""
    return [get_template(key) for key in TEMPLATE_KEYS]


# Module-level values for convenience; treat them as read-only (use get_template for a copy to change).
RELATIONSHIP_NPS = get_template("relationship-nps")
POST_SUPPORT_CSAT = get_template("post-support-csat")
ONBOARDING_CES = get_template("onboarding-ces")
POST_DELIVERY_CSAT = get_template("post-delivery-csat")
