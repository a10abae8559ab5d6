"""The renderer: Markdown features, link rewriting, video embeds, the allow-list and determinism."""
from html.parser import HTMLParser

import pytest

from courseware.content import render
from courseware.content.render import render_hash, render_module, resolve_url, video_embed_url

LINKS = {"01-intro.md": "intro", "02-sensorer.md": "sensorer"}
ASSETS = {"fjos-sensor.png", "sjekkliste.pdf", "docs/plan med mellomrom.pdf"}


def rendered(text: str, **kwargs):
    return render_module(text, module_links=kwargs.pop("links", LINKS), asset_paths=kwargs.pop("assets", ASSETS), **kwargs)


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_markdown_features_render():
    html = rendered(
        "# Tittel\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nprint('hei') < 3\n```\n\nTerm\n:   Forklaring\n\n"
        "Fot[^1]\n\n[^1]: Notat\n\n!!! warning \"Pass på\"\n    Varsel\n\n??? note \"Mer\"\n    Skjult\n\n"
        "- [x] Ferdig\n- [ ] Ikke ferdig\n\n~~borte~~ H~2~O\n\n*[NACE]: Næringskode\nNACE\n"
    ).html
    tags = Tags(html)
    assert tags.find("th")[0] == {"align": "left"} and tags.find("td")[1] == {"align": "right"}
    assert '<div class="code-label">Python</div><div class="highlight"><pre tabindex="0">' in html
    assert '<span class="nb">print</span>' in html and '<span class="o">&lt;</span>' in html
    assert "<dl>" in html and "<dt>Term</dt>" in html
    assert tags.find("li")[-1].get("id") == "fn:1" and 'href="#fn:1"' in html
    assert '<div class="admonition warning">' in html and '<p class="admonition-title">Pass på</p>' in html
    assert '<details class="note">' in html and "<summary>Mer</summary>" in html
    assert tags.find("input") == [
        {"type": "checkbox", "checked": "", "disabled": "disabled"}, {"type": "checkbox", "disabled": "disabled"}
    ]
    assert "<del>borte</del>" in html and "<sub>2</sub>" in html
    assert '<abbr title="Næringskode">NACE</abbr>' in html


def test_toc_is_collected_with_unicode_ids_and_reserved_ids_avoided():
    result = rendered("# Sensorer i fjøset\n\n## Kost & nytte\n\n### Main\n\n## Kost & nytte\n")
    assert result.toc == [
        {"level": 1, "id": "sensorer-i-fjøset", "title": "Sensorer i fjøset"},
        {"level": 2, "id": "kost-nytte", "title": "Kost & nytte"},
        {"level": 3, "id": "main-section", "title": "Main"},
        {"level": 2, "id": "kost-nytte_1", "title": "Kost & nytte"},
    ]
    assert '<h2 id="kost-nytte">' in result.html and 'id="main"' not in result.html


@pytest.mark.parametrize("link, href", [
    ("02-sensorer.md", "sensorer"),
    ("02-sensorer.md#typer", "sensorer#typer"),
    ("./01-intro.md", "intro"),
    ("../modules/01-intro.md", "intro"),
    ("../assets/sjekkliste.pdf", "assets/sjekkliste.pdf"),
    ("assets/sjekkliste.pdf", "assets/sjekkliste.pdf"),
    ("<../assets/docs/plan med mellomrom.pdf>", "assets/docs/plan%20med%20mellomrom.pdf"),
    ("#typer", "#typer"),
    ("https://www.nibio.no/x?a=1&b=2", "https://www.nibio.no/x?a=1&b=2"),
    ("mailto:post@example.no", "mailto:post@example.no"),
])
def test_links_are_rewritten(link, href):
    tags = Tags(rendered(f"[lenke]({link})").html)
    assert tags.find("a") == [{"href": href, "rel": "noopener noreferrer"}]


@pytest.mark.parametrize("link, status", [
    ("../../annet-kurs/modules/01.md", render.OUTSIDE),
    ("/etc/passwd", render.ABSOLUTE),
    ("//evil.example/x", render.ABSOLUTE),
    ("file:///etc/passwd", render.SCHEME),
    ("javascript:alert(1)", render.SCHEME),
    ("&#106;avascript:alert(1)", render.SCHEME),
    ("04-mangler.md", render.MISSING_MODULE),
    ("../assets/mangler.pdf", render.MISSING_ASSET),
    ("../course.toml", render.MISSING),
])
def test_bad_links_lose_their_href_and_are_reported(link, status):
    result = rendered(f"[lenke]({link})")
    assert Tags(result.html).find("a") == [{"rel": "noopener noreferrer"}]
    assert [(ref.tag, ref.status) for ref in result.links] == [("a", status)]


def test_images_must_be_assets_and_get_lazy_loading():
    result = rendered("![Sensor](../assets/fjos-sensor.png) ![](assets/fjos-sensor.png) ![Ekstern](https://x.no/a.png)"
                      " ![Pdf](../assets/sjekkliste.pdf) ![Borte](../assets/borte.png)")
    images = Tags(result.html).find("img")
    assert images[0] == {"alt": "Sensor", "src": "assets/fjos-sensor.png", "loading": "lazy"}
    assert images[1]["src"] == "assets/fjos-sensor.png" and images[1]["alt"] == ""
    assert all("src" not in img for img in images[2:])
    assert [ref.status for ref in result.links] == [
        render.ASSET, render.ASSET, render.IMAGE_EXTERNAL, render.IMAGE_TYPE, render.MISSING_ASSET
    ]


def test_raw_html_links_use_the_same_rules():
    result = rendered('<p><a href="02-sensorer.md">ok</a> <img src="../assets/fjos-sensor.png" alt="x" '
                      'onerror="alert(1)"> <a href="/admin">nei</a></p>')
    tags = Tags(result.html)
    assert tags.find("a")[0]["href"] == "sensorer" and "href" not in tags.find("a")[1]
    assert tags.find("img") == [{"src": "assets/fjos-sensor.png", "alt": "x", "loading": "lazy"}]
    assert [(ref.status, ref.raw_html) for ref in result.links if ref.status not in render.OK_STATUSES] == [
        (render.ABSOLUTE, True)
    ]


def test_author_ids_and_classes_are_dropped():
    html = rendered('<h2 id="main">X</h2>\n\n<div class="btn admonition" id="csrf_token">y</div>').html
    assert 'id="main"' not in html and 'id="csrf_token"' not in html
    assert '<div class="admonition">' in html


@pytest.mark.parametrize("url, embed", [
    ("https://www.youtube.com/watch?v=M7lc1UVf-VE", "https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"),
    ("https://youtube.com/watch?feature=share&v=M7lc1UVf-VE", "https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"),
    ("https://youtu.be/M7lc1UVf-VE", "https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"),
    ("https://www.youtube.com/embed/M7lc1UVf-VE", "https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"),
    ("https://m.youtube.com/shorts/M7lc1UVf-VE", "https://www.youtube-nocookie.com/embed/M7lc1UVf-VE"),
    ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
    ("https://vimeo.com/76979871/abc123def0", "https://player.vimeo.com/video/76979871?h=abc123def0&dnt=1"),
    ("https://www.youtube.com/watch?v=short", None),
    ("https://www.youtube.com/watch?v=M7lc1UVf-VE%22onload", None),
    ("https://evil.example/watch?v=M7lc1UVf-VE", None),
    ("https://youtube.com.evil.example/watch?v=M7lc1UVf-VE", None),
    ("javascript:alert(1)//youtu.be/M7lc1UVf-VE", None),
    ("https://vimeo.com/channels/x", None),
    ("https://vimeo.com/123abc", None),
])
def test_video_urls(url, embed):
    assert video_embed_url(url) == embed


def test_video_embed_is_built_after_sanitising():
    result = rendered("Før\n\n@[video](https://youtu.be/M7lc1UVf-VE)\n\n<iframe src=\"https://youtu.be/x\"></iframe>\n")
    assert result.html.count("<iframe") == 1
    assert ('<div class="video-embed"><iframe src="https://www.youtube-nocookie.com/embed/M7lc1UVf-VE" title="Video" '
            'loading="lazy" allow="fullscreen; picture-in-picture" referrerpolicy="strict-origin-when-cross-origin">'
            '</iframe></div>') in result.html
    assert "cwvideo" not in result.html


def test_video_inside_admonition_and_invalid_video_stays_text():
    result = rendered("!!! tip \"Se\"\n    @[video](https://vimeo.com/76979871)\n\n@[video](https://evil.example/v)\n")
    assert '<div class="admonition tip">' in result.html and "player.vimeo.com/video/76979871" in result.html
    assert "<p>@[video](https://evil.example/v)</p>" in result.html
    assert [ref.status for ref in result.links if ref.tag == "video"] == [render.VIDEO, render.BAD_VIDEO]


def test_video_in_code_block_is_not_embedded():
    html = rendered("```\n@[video](https://youtu.be/M7lc1UVf-VE)\n```\n").html
    assert "<iframe" not in html and "@[video](https://youtu.be/M7lc1UVf-VE)" in html


def test_rendering_is_deterministic_and_reusable():
    text = "# A\n\nTekst[^n] og @[video](https://youtu.be/M7lc1UVf-VE)\n\n@[video](https://youtu.be/M7lc1UVf-VE)\n\n[^n]: x\n"
    first = rendered(text)
    rendered("# Noe annet\n\n*[X]: y\nX[^z]\n\n[^z]: z\n")  # state from another document must not leak
    second = rendered(text)
    assert first.html == second.html and first.toc == second.toc


def test_word_count_and_footnote_language():
    result = rendered("# Overskrift\n\nEn to tre fire-fem. Seks!\n", language="en")
    assert result.word_count == 6
    assert "Jump back" in rendered("A[^1]\n\n[^1]: b\n", language="en").html
    assert "Tilbake til fotnote" in rendered("A[^1]\n\n[^1]: b\n", language="nn").html


def test_render_hash_covers_source_links_assets_and_language():
    base = render_hash("x", LINKS, ASSETS)
    assert base == render_hash("x", dict(reversed(LINKS.items())), set(reversed(sorted(ASSETS))))
    assert base != render_hash("y", LINKS, ASSETS)
    assert base != render_hash("x", {**LINKS, "03-ny.md": "ny"}, ASSETS)
    assert base != render_hash("x", LINKS, ASSETS | {"ny.png"})
    assert base != render_hash("x", LINKS, ASSETS, language="en")


def test_resolve_url_windows_separators_and_fragments_on_assets():
    assert resolve_url("..\\assets\\fjos-sensor.png", image=True, module_links=LINKS, asset_paths=ASSETS) == (
        "assets/fjos-sensor.png", render.ASSET)
    assert resolve_url("../assets/sjekkliste.pdf#page=2", image=False, module_links=LINKS, asset_paths=ASSETS) == (
        "assets/sjekkliste.pdf#page=2", render.ASSET)


def test_no_attribute_syntax_for_authors():
    """attr_list and md_in_html would let authors set ids, classes and hrefs on elements; both are off."""
    html = rendered('## Tittel {: #main .btn onclick="x" }\n\n[x](https://a.no){: href="javascript:alert(1)" }\n\n'
                    '<div markdown="1" id="main">*ikke markdown*</div>').html
    attributes = [attrs for _, attrs in Tags(html).tags]
    assert not [a for a in attributes if a.get("id") == "main" or "btn" in a.get("class", "") or "onclick" in a]
    assert [a.get("href") for a in Tags(html).find("a")] == ["https://a.no"]
    assert '<a href="https://a.no" rel="noopener noreferrer">x</a>' in html and "*ikke markdown*" in html


def test_raw_inputs_are_inert_checkboxes_and_link_approval_is_per_tag():
    html = rendered('[ekstern](https://x.no/a.png)\n\n<input type="text" name="password" value="x">'
                    '<img src="https://x.no/a.png" alt="y">').html
    assert Tags(html).find("input") == [{"type": "checkbox", "disabled": "disabled"}]
    assert Tags(html).find("img") == [{"alt": "y", "loading": "lazy"}]  # a URL allowed for a link is no image


def test_tables_scroll_in_a_focusable_labelled_region():
    """Wide tables scroll sideways on a phone; the region is reachable by keyboard and named (WCAG 2.1.1)."""
    from courseware.content.render import render_module

    out = render_module("| A | B |\n|---|---|\n| 1 | 2 |\n", module_links={}, asset_paths=set(), language="nn").html
    assert out.startswith('<div class="table-wrap" role="region" tabindex="0" aria-label="Tabell"><table>')
    assert out.rstrip().endswith("</table></div>")
