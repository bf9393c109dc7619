"""The public routes of the hosted survey page and the kiosk, as one router for `api/public.py`.

The anonymous link's routes come first: `/s/k/{survey_key}` would otherwise match `/s/{token}/...` patterns.
"""

from __future__ import annotations

from fastapi import APIRouter

from cxloop.channels.hosted import invitation_pages, kiosk, link_pages

router = APIRouter(tags=["hosted"], include_in_schema=False)
router.include_router(link_pages.router)
router.include_router(invitation_pages.router)
router.include_router(kiosk.router)
