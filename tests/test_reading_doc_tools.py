"""Markdown as documentation tools write it (Docusaurus, MyST, Hugo, VitePress): what their pages show as text and
what is markup.

Each test writes a small file modelled on real projects' docs and reads it with qabot's readers; the text stays the
file's, and only the paragraphs' spans leave the markup out.
"""

from __future__ import annotations

from pathlib import Path

from qabot.corpus import CorpusFile, document_paragraphs, load_file


def _markdown(tmp_path: Path, name: str, content: str) -> list[tuple[str | None, str]]:
    """(section, text) of each paragraph of ``content`` read as the file ``name``, whose text is the file's."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warnings.append))
    assert len(docs) == 1 and not warnings, warnings
    doc = docs[0]
    assert doc.text == content
    return [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading]


def test_markdown_a_rule_a_spacer_and_link_definitions_are_no_text(tmp_path: Path) -> None:
    # Redux's API pages part methods with "---" and "&nbsp;"; READMEs and MyST's docs define links at the bottom.
    content = ("# Store\n\n## getState()\n\nReturns the current state tree.\n\n---\n\n&nbsp;\n\n## dispatch(action)\n\n"
               "Dispatches an action, as [the guide][guide] says.\n\n* * *\n\n[guide]: https://example.org/guide\n"
               '[api]: <https://example.org/api> "The API"\n\n> Quoted, with a [link][q].\n>\n> [q]: https://example.org/q\n'
               "\n[^1]: A footnote is text.\n")
    assert _markdown(tmp_path, "store.md", content) == [
        ("getState()", "Returns the current state tree."),
        ("dispatch(action)", "Dispatches an action, as [the guide][guide] says."),
        ("dispatch(action)", "> Quoted, with a [link][q]."),
        ("dispatch(action)", "[^1]: A footnote is text."),
    ]
    # in plain text, every line is text
    assert ("getState()", "---") in _markdown(tmp_path, "store.txt", content)


def test_markdown_myst_colon_directives_read_as_admonitions_and_targets_are_no_text(tmp_path: Path) -> None:
    # As MyST-Parser's own docs write them (docs/syntax/admonitions.md, docs/configuration.md)
    content = ("(install)=\n# Installation\n\n:::{note}\nInstall Python first.\n:::\n\n"
               ":::{admonition} Before you start\n:class: tip\n:name: before\n\nMake sure Python is installed.\n:::\n\n"
               ":::{tip}\n:class: dropdown\nLet's give readers a helpful hint!\n:::\n\n"
               "::::{tab-set}\n:::{tab-item} pip\nInstall with pip.\n:::\n::::\n\n(later)=\nThen fetch a survey.\n")
    assert _markdown(tmp_path, "install.md", content) == [
        ("Installation", "Install Python first."),
        ("Installation", "Before you start"),
        ("Installation", "Make sure Python is installed."),
        ("Installation", "Let's give readers a helpful hint!"),
        ("Installation", "pip"),
        ("Installation", "Install with pip."),
        ("Installation", "Then fetch a survey."),
    ]


def test_markdown_myst_fenced_directives_read_as_the_markdown_they_hold(tmp_path: Path) -> None:
    # MyST's directives in backticks, as Jupyter Book and MyST-Parser's docs write them: an admonition's body is
    # Markdown (its code is code), a code block's is code.
    content = ("# Install\n\n```{note}\nInstall Python first, then run the installer.\n```\n\n"
               "````{admonition} Before you start\n:class: tip\n\nMake sure Python is installed:\n\n"
               "```bash\npip install skyfetch\n```\n````\n\n"
               "```{code-block} python\nimport skyfetch\n```\n\n"
               "```{figure} sky.png\n---\nwidth: 200px\n---\nThe sky over the dome.\n```\n\n"
               "- In a list:\n\n  ```{versionadded} 1.2\n  The `--quiet` option.\n  ```\n\nThen fetch a survey.\n")
    assert _markdown(tmp_path, "install.md", content) == [
        ("Install", "Install Python first, then run the installer."),
        ("Install", "Before you start"),
        ("Install", "Make sure Python is installed:"),
        ("Install", "```bash\npip install skyfetch\n```"),
        ("Install", "```{code-block} python\nimport skyfetch\n```"),
        ("Install", "The sky over the dome."),
        ("Install", "- In a list:"),
        ("Install", "1.2"),
        ("Install", "The `--quiet` option."),
        ("Install", "Then fetch a survey."),
    ]


def test_markdown_docusaurus_imports_in_a_md_file_are_no_text(tmp_path: Path) -> None:
    # Docusaurus reads a .md file as MDX: Redux's docs (faq/CodeStructure.md, introduction/GettingStarted.md) import
    # components into them.
    content = ("---\ntitle: Code Structure\n---\n\nimport { DetailedExplanation } from '../components/DetailedExplanation'\n"
               "import LiteYouTubeEmbed from 'react-lite-youtube-embed';\nimport 'react-lite-youtube-embed/dist/style.css'\n\n"
               "import {\n  Tabs,\n  TabItem,\n} from '@theme/Tabs'\n\n## Code Structure\n\n"
               "Import the store from the module that creates it.\n\nimport the slices first, then the store.\n")
    assert _markdown(tmp_path, "CodeStructure.md", content) == [
        ("Code Structure", "Import the store from the module that creates it."),
        ("Code Structure", "import the slices first, then the store."),
    ]


def test_markdown_hugo_shortcodes_are_no_text_but_their_titles(tmp_path: Path) -> None:
    # As Hugo sites write them: Docsy's landing page (content/en/_index.md) and Kubernetes' notes and tabs
    content = ('---\ntitle: Skyfetch\n---\n\n{{% blocks/cover\n  title="Welcome to Skyfetch"\n  image_anchor="top"\n%}}\n'
               '\n<div class="td-cta-buttons">\n  <a href="docs/">Learn more</a>\n  {{% _param FA brands github "" %}}\n'
               '</div>\n\n{{% /blocks/cover %}}\n\n{{% blocks/lead color="white" %}}\n'
               "Skyfetch fetches survey tiles for your telescope.\n{.display-6}\n{{% /blocks/lead %}}\n\n## Install\n\n"
               '{class="lead" style=compact}\n'
               "{{< note >}}\nInstall Python first.\n{{< /note >}}\n\n{{< tabs >}}\n"
               '{{% tab name="pip" %}}\nRun `pip install skyfetch`.\n{{% /tab %}}\n{{< /tabs >}}\n\n'
               '{{% alert title="Warning" color="warning" %}}\nOld tiles are deleted.\n{{% /alert %}}\n\n'
               'The {{< glossary_tooltip text="cache" term_id="cache" >}} is shared.\n')
    assert _markdown(tmp_path, "_index.md", content) == [
        (None, "Welcome to Skyfetch"),
        (None, "Learn more"),
        (None, "Skyfetch fetches survey tiles for your telescope."),
        ("Install", "Install Python first."),
        ("Install", "Run `pip install skyfetch`."),
        ("Install", "Warning"),
        ("Install", "Old tiles are deleted."),
        ("Install", 'The {{< glossary_tooltip text="cache" term_id="cache" >}} is shared.'),  # a shortcode in text stays
    ]


def test_markdown_a_list_item_is_never_a_heading(tmp_path: Path) -> None:
    # MyST-Parser's docs/syntax/cross-referencing.md: short numbered items, with an attribute list ({style=...})
    content = ("# Links\n\nMyST resolves link destinations by these rules:\n\n"
               "1. Destinations beginning with a scheme\n\n   {style=lower-roman}\n"
               "   1. Destinations beginning with `project:` will be treated as internal references\n"
               "   2. Destinations beginning with `path:` will be treated as downloadable files\n\n"
               "2. Destinations which point to a local file path\n\nThen the link is checked.\n")
    assert _markdown(tmp_path, "links.md", content) == [
        ("Links", "MyST resolves link destinations by these rules:"),
        ("Links", "1. Destinations beginning with a scheme"),
        ("Links", "1. Destinations beginning with `project:` will be treated as internal references"),
        ("Links", "2. Destinations beginning with `path:` will be treated as downloadable files"),
        ("Links", "2. Destinations which point to a local file path"),
        ("Links", "Then the link is checked."),
    ]


def test_markdown_a_paragraph_that_is_one_element_reads_as_its_text(tmp_path: Path) -> None:
    # Vite's VitePress docs (guide/build.md, config/index.md) open pages with a component around a line of text
    content = ("# Building for Production\n\n"
               '<ScrimbaLink href="https://scrimba.com/lesson?via=vite" title="Building">Watch an interactive lesson'
               "</ScrimbaLink>\n\nRun `vite build`.\n\n<kbd>Ctrl</kbd> + <kbd>C</kbd> stops the server.\n\n"
               "<b>Note</b>: the output goes to <code>dist</code>\n\n<code>dist</code> or <code>build</code>\n")
    assert _markdown(tmp_path, "build.md", content) == [
        ("Building for Production", "Watch an interactive lesson"),
        ("Building for Production", "Run `vite build`."),
        ("Building for Production", "<kbd>Ctrl</kbd> + <kbd>C</kbd> stops the server."),  # inline HTML in text stays
        ("Building for Production", "<b>Note</b>: the output goes to <code>dist</code>"),
        ("Building for Production", "<code>dist</code> or <code>build</code>"),
    ]
