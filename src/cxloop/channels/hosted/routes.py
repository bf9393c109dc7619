"""The public routes of the hosted survey page and the kiosk, as one router for `api/public.py`.

The anonymous link's routes come first: `/s/k/{survey_key}` would otherwise match `/s/{token}/...` patterns.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from cxloop.branding.current import load_brand
from cxloop.channels.hosted import invitation_pages, kiosk, link_pages

# Every page shows the organisation's branding, loaded once per request (branding/current.py).
router = APIRouter(tags=["hosted"], include_in_schema=False, dependencies=[Depends(load_brand)])
router.include_router(link_pages.router)
router.include_router(invitation_pages.router)
router.include_router(kiosk.router)
