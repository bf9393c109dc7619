"""/api/v1/text (docs/text-analytics.md): analyse a text on demand, read an item's stored analysis, and see which
sentiment model is in use. Viewers and agents see comments with personal data masked; analysts and admins as written."""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.access.deps import ViewerDep
from cxloop.collection import service as collection
from cxloop.core.body_caps import KIB
from cxloop.core.error_body import error_responses
from cxloop.core.int_bounds import Id
from cxloop.storage.deps import SessionDep
from cxloop.text import service as text
from cxloop.text.enums import ItemKind
from cxloop.text.schemas import AnalyseRequest, AnalysisRead, SentimentStatus, TextResult

router = APIRouter(prefix="/text", tags=["text"])
# 20,000 characters of up to 4 bytes, or 6 when JSON escapes them (\uXXXX): far below the API's 16 MB default.
ANALYSE_MAX_BYTES = 128 * KIB


@router.post("/analyse", response_model=TextResult, responses=error_responses(413), max_body_size=ANALYSE_MAX_BYTES)
def analyse(body: AnalyseRequest, session: SessionDep, _: ViewerDep) -> TextResult:
    """Language, sentiment, key phrases and masked personal data of one text (1-20,000 characters), with the
    sentiment model in use. Nothing is stored. 422 for an empty or non-string `text`, 413 past the body cap."""
    return text.analyse_texts([body.text], scorer=text.current_scorer(session))[0]


@router.get("/responses/{response_id:int}", response_model=AnalysisRead)
def response_analysis(response_id: Id, session: SessionDep, principal: ViewerDep) -> AnalysisRead:
    """The analysis of a response's comment: 404 when the response has no comment or it was not analysed yet."""
    original = collection.require_response(session, response_id=response_id).comment
    return text.get_analysis(
        session, kind=ItemKind.response, item_id=response_id, original=original, role=principal.role
    )


@router.get("/feedback/{feedback_id:int}", response_model=AnalysisRead)
def feedback_analysis(feedback_id: Id, session: SessionDep, principal: ViewerDep) -> AnalysisRead:
    """The analysis of a feedback item's text: 404 when it was not analysed yet."""
    original = collection.require_feedback(session, feedback_id=feedback_id).text
    return text.get_analysis(
        session, kind=ItemKind.feedback, item_id=feedback_id, original=original, role=principal.role
    )


@router.get("/sentiment-model", response_model=SentimentStatus)
def sentiment_model(session: SessionDep, _: ViewerDep) -> SentimentStatus:
    """The sentiment model in use (`lexicon-1` on day one, `learned-N` once one beat it) and the latest fit's
    cross-validated macro-F1, beside the day-one model's on the same folds."""
    return text.sentiment_status(session)
