"""Reading the hosted pages as a browser without JavaScript would: forms, fields, labels, links, meta refresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response


@dataclass
class Field:
    tag: str
    attrs: dict[str, str]

    @property
    def name(self) -> str:
        return self.attrs.get("name", "")

    @property
    def type(self) -> str:
        return self.attrs.get("type", self.tag)


@dataclass
class Page:
    """What the tests look at in a page."""

    lang: str | None = None
    title: str = ""
    action: str | None = None
    fields: list[Field] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # for -> text
    legends: list[str] = field(default_factory=list)
    fieldsets: int = 0
    headings: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # id -> href
    ids: list[str] = field(default_factory=list)
    refresh: str | None = None
    alerts: list[str] = field(default_factory=list)
    text: str = ""

    def hidden(self) -> dict[str, str]:
        return {f.name: f.attrs.get("value", "") for f in self.fields if f.type == "hidden"}

    def visible_fields(self) -> list[Field]:
        return [f for f in self.fields if f.type not in ("hidden", "submit")]

    def buttons(self) -> dict[str, str]:
        """id -> value of the submit buttons."""
        return {f.attrs.get("id", ""): f.attrs.get("value", "") for f in self.fields if f.type == "submit"}

    def label_of(self, element_id: str) -> str:
        return self.labels[element_id]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._capture: list[tuple[str, dict[str, str], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.page.ids.append(values["id"])
        if tag == "html":
            self.page.lang = values.get("lang")
        elif tag == "form":
            self.page.action = values.get("action")
        elif tag in ("input", "textarea", "select"):
            self.page.fields.append(Field(tag, values))
        elif tag == "button":
            self.page.fields.append(Field("button", {"type": "submit", **values}))
        elif tag == "fieldset":
            self.page.fieldsets += 1
        elif tag == "meta" and values.get("http-equiv") == "refresh":
            self.page.refresh = values.get("content")
        if tag in ("label", "legend", "title", "h1", "a", "button") or values.get("role") == "alert":
            self._capture.append((tag, values, []))

    def handle_endtag(self, tag: str) -> None:
        if not self._capture or self._capture[-1][0] != tag:
            return
        captured_tag, values, parts = self._capture.pop()
        text = " ".join("".join(parts).split())
        for outer in self._capture:  # nested captures (h1 in legend, label in h1) see the text too
            outer[2].append(text)
        if values.get("role") == "alert":
            self.page.alerts.append(text)
        if captured_tag == "label":
            self.page.labels[values.get("for", "")] = text
        elif captured_tag == "legend":
            self.page.legends.append(text)
        elif captured_tag == "title":
            self.page.title = text
        elif captured_tag == "h1":
            self.page.headings.append(text)
        elif captured_tag == "a":
            self.page.links[values.get("id", "")] = values.get("href", "")
        elif captured_tag == "button":
            for f in reversed(self.page.fields):
                if f.tag == "button":
                    f.attrs["text"] = text
                    break

    def handle_data(self, data: str) -> None:
        self.page.text += data
        if self._capture:
            self._capture[-1][2].append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def read(response: Response) -> Page:
    assert response.headers["content-type"].startswith("text/html"), response.text
    return parse(response.text)


def submit(client: TestClient, page: Page, answer: str | list[str] | None = None, *, action: str = "next") -> Response:
    """Post the page's form as a browser would: its hidden fields, the answer, and the button pressed."""
    data: dict[str, str | list[str]] = dict(page.hidden())
    if answer is not None:
        data["answer"] = answer
    data["action"] = action
    assert page.action is not None
    return client.post(page.action, data=data, follow_redirects=False)


def assert_accessible(page: Page) -> None:
    """The basics the hosted page promises: lang set, ids unique, every control labelled, scales in fieldsets."""
    assert page.lang
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    for control in page.visible_fields():
        if control.tag == "button":
            assert control.attrs.get("text"), f"button {control.attrs} has no text"
            continue
        element_id = control.attrs.get("id")
        assert element_id, f"{control.attrs} has no id"
        assert page.labels.get(element_id), f"no <label for={element_id}>"
    if any(f.type in ("radio", "checkbox") for f in page.fields):
        assert page.fieldsets >= 1 and page.legends and all(page.legends)
