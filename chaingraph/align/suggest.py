"""Link suggestions: the targets a concept is most likely linked to, and why.

:func:`suggest_links` ranks, for each source concept (a programme, say), the target concepts
(occupations) it is most likely linked to. Three kinds of evidence are read from the concept graph
of :func:`chaingraph.align.projection.concept_graph`:

``link`` (link prediction over shared intermediates)
    A programme *teaches* skills and *covers* technologies; an occupation *requires* skills and
    *uses* technologies. Two concepts are scored by the skills and technologies they share, with
    one sparse product ``A @ diag(w) @ B.T`` (``A``: sources x intermediates, ``B``: targets x
    intermediates, ``w``: one weight per intermediate); see :data:`METHODS`. ``deg(z)`` is the
    number of source- and target-class concepts linked to the intermediate ``z``; intermediates
    linked to more than ``degree_cap`` concepts are dropped as hubs. With ``hierarchy > 0`` a
    profile also holds the ``skos:broader`` parents of its concepts at that fraction of their
    weight (parents come from :func:`enrich_with_vocabulary`).
``direct`` (explicit statements)
    The source's documents name the target (``preparesFor``): evidence 1. They name an ESCO or
    ISCO occupation that the crosswalks ``skos:closeMatch`` to the target: evidence 0.5 (a
    many-to-one crosswalk, so less certain).
``lexical`` (target titles in the source's text)
    The IDF-weighted cosine between the source's words (its labels, definition and the text of the
    documents about it) and the target's titles and definition (preferred and alternative labels:
    for O*NET, the Alternate Titles and Reported Titles). This is the "occupation titles mentioned
    in the programme text" lever, softened by a light stemmer so that *economics* meets
    *economist* and *welding* meets *welder*. The alternative labels, definitions and texts are
    node attributes that :func:`enrich_with_vocabulary` attaches; without them only the
    preferred labels are compared.

The score is ``lexical_weight * lexical + direct_weight * direct + link_weight * link / L``
where ``L`` is the largest link score of the call (so the link term lies in ``[0, link_weight]``);
when the link term is the only one in use, ``L = 1`` and the score is the method's own value.
Ties are broken by target IRI, so the order is deterministic.

Use it on an enriched graph::

    store = open_store("chaingraph-store")
    graph = concept_graph(store)
    enrich_with_vocabulary(graph, store)        # vocabulary profiles, crosswalks, titles, texts
    suggest_links(graph, "Programme", "Occupation", 10, target_scheme="onet")

Which default, and why
----------------------
Measured on the development split by ``bench/eval_suggest.py`` (627 CIP 2020 programmes with at
least one expert SOC 2018 link, ranked against all 1,016 O*NET occupations, graph enriched with
:func:`enrich_with_vocabulary`):

=========================================================  ======  =========  =====
ranking                                                    MAP@10  recall@10  MRR
=========================================================  ======  =========  =====
TF-IDF cosine, programme text vs occupation text            0.337   0.552     0.537
link only, Adamic-Adar, text-mined graph                    0.123   0.209     0.245
link only, + evidence weights, vocabulary, hierarchy        0.136   0.241     0.266
link + direct (``direct_weight=1``)                         0.205   0.307     0.355
lexical only (occupation titles in programme text)          0.458   0.690     0.681
default: lexical + direct + Adamic-Adar link term           0.467   0.692     0.698
=========================================================  ======  =========  =====

Shared skills alone cannot carry the ranking here: a CIP definition is a few sentences, the
linker finds one skill or technology in the median programme and none in a third of them, and a
handful of broad skills ("chemistry") cannot tell a chemist from a chemical technician. The
levers, in the order they helped: the vocabulary's occupation titles found in the programme text
(+0.12 MAP over TF-IDF: O*NET's alternate titles name occupations the way programme texts do,
"agricultural economist", "welding instructor"); explicit ``preparesFor`` mentions, carried over
the ESCO/ISCO crosswalks (+0.07 on the link ranking, +0.006 on the lexical one); the vocabulary's
skill and technology profiles (+0.013 on the link ranking); evidence weights (+0.012); the skill
hierarchy (+0.001 MAP, +0.009 recall). The degree cap changes nothing measurable at 500 (it guards
larger graphs against hubs such as spreadsheet software). In the combined score the link term adds about
+0.003 and serves mostly to explain and break ties among equally titled occupations. Among the
link predictors Adamic-Adar is the default: it ranked best in every link-only configuration
measured (resource allocation next, then cosine, then Jaccard), and with the other evidence added
the four are within 0.001 of each other. ``relatedTo`` co-mentions are not used as paths: they
are same-sentence co-occurrences, the weakest evidence the graph holds. ``direct_weight`` and
``link_weight`` (both 0.1) are the only values chosen by looking at the development split;
everything else is fixed on principle. Without :func:`enrich_with_vocabulary` the lexical evidence
has only the preferred labels to compare, and the default scores 0.348.

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_node("p", cls="Programme", label="Welding", scheme="cip")
>>> g.add_node("o", cls="Occupation", label="Welders", scheme="onet")
>>> g.add_node("s", cls="Skill", label="welding", scheme="esco")
>>> g.add_edge("p", "s", predicate="teaches", weight=1.0)
>>> g.add_edge("o", "s", predicate="requires", weight=1.0)
>>> [(r["target"], r["score"], r["explanation"])
...  for r in suggest_links(g, method="resource_allocation", lexical_weight=0.0)]
[('o', 0.5, 'shares welding')]
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable

import networkx as nx
import numpy as np
import scipy.sparse as sp

# Enrichment lives in its own module; it is re-exported here, beside the suggestions that use it.
from chaingraph.align.enrich import INTERMEDIATE_CLASSES, enrich_with_vocabulary

__all__ = [
    "DEFAULT_DEGREE_CAP",
    "DEFAULT_METHOD",
    "METHODS",
    "enrich_with_vocabulary",
    "suggest_links",
]

#: The link predictors, by the weight ``w(z)`` an intermediate ``z`` of degree ``deg(z)`` carries:
#:
#: - ``adamic_adar``: ``sum a_sz * b_tz / log(deg(z))``;
#: - ``resource_allocation``: ``sum a_sz * b_tz / deg(z)``;
#: - ``jaccard``: weighted Jaccard (Tanimoto) of IDF-weighted profiles,
#:   ``sum idf a b / (sum idf a^2 + sum idf b^2 - sum idf a b)`` with ``idf = log(N / deg(z))``;
#: - ``cosine_idf``: cosine of the profiles weighted by ``idf``.
METHODS = ("adamic_adar", "resource_allocation", "jaccard", "cosine_idf")
DEFAULT_METHOD = "adamic_adar"
#: Intermediates linked to more concepts than this are hubs and are left out.
DEFAULT_DEGREE_CAP = 500

#: Relations that give a concept its profile of skills and technologies.
PROFILE_PREDICATES = frozenset({"teaches", "covers", "requires", "uses"})
#: Relations that state a source-target link outright.
DIRECT_PREDICATES = frozenset({"preparesFor"})
#: Evidence of a direct link through a crosswalk (``skos:closeMatch``) rather than by name.
MATCH_EVIDENCE = 0.5


def suggest_links(
    graph: nx.DiGraph,
    source_class: str = "Programme",
    target_class: str = "Occupation",
    k: int = 10,
    *,
    source_scheme: str | None = None,
    target_scheme: str | None = None,
    method: str = DEFAULT_METHOD,
    sources: Iterable[str] | None = None,
    degree_cap: int | None = DEFAULT_DEGREE_CAP,
    weight: str | None = "weight",
    hierarchy: float = 0.5,
    link_weight: float = 0.1,
    direct_weight: float = 0.1,
    lexical_weight: float = 1.0,
) -> list[dict]:
    """The ``k`` most likely targets of each source concept, with the evidence for each.

    Parameters
    ----------
    graph:
        A concept graph (:func:`~chaingraph.align.projection.concept_graph`), best enriched with
        :func:`enrich_with_vocabulary`.
    source_class, target_class:
        The classes to link (``cls`` node attribute), e.g. ``"Programme"`` and ``"Occupation"``.
    k:
        How many targets to keep per source; targets without any evidence are never listed.
    source_scheme, target_scheme:
        Keep only sources / targets of this vocabulary (``scheme`` node attribute: ``"cip"``,
        ``"onet"``, ``"esco"``...). Link degrees still count every concept of the class.
    method:
        The link predictor, one of :data:`METHODS`.
    sources:
        Rank only for these source IRIs.
    degree_cap:
        Leave out intermediates linked to more concepts than this (``None``: keep all).
    weight:
        Edge attribute used as the strength of a profile link (``None``: every link counts 1).
    hierarchy:
        Weight of a profile concept's ``skos:broader`` parents, as a fraction of the concept's.
    link_weight, direct_weight, lexical_weight:
        Weights of the three kinds of evidence (see the module docstring).

    Returns
    -------
    list of dict
        One record per suggestion, sources in IRI order and ranks ascending: ``source``,
        ``target``, ``score``, ``rank`` (1-based per source), ``explanation`` (a sentence),
        ``shared`` (``{concept, label, contribution}`` for the shared skills and technologies,
        largest first; the contributions sum to ``link``), ``terms`` (the words of the lexical
        match), ``link``, ``direct`` and ``lexical`` (the three raw evidence values) and
        ``existing`` (the graph already links the two).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if k < 1:
        raise ValueError("k must be at least 1")
    nodes = graph.nodes
    src_all = sorted(n for n, a in nodes(data=True) if a.get("cls") == source_class)
    tgt_all = sorted(n for n, a in nodes(data=True) if a.get("cls") == target_class)
    same = source_class == target_class

    # One incidence matrix per side over every concept of the class: degrees must not depend
    # on which sources were asked for.
    src_prof = _profiles(graph, src_all, weight=weight, hierarchy=hierarchy)
    tgt_prof = src_prof if same else _profiles(graph, tgt_all, weight=weight, hierarchy=hierarchy)
    inter = sorted(set().union(*src_prof, *tgt_prof))
    zindex = {z: i for i, z in enumerate(inter)}
    a_all = _incidence(src_prof, zindex)
    b_all = a_all if same else _incidence(tgt_prof, zindex)
    deg = _column_count(a_all) + (0 if same else _column_count(b_all))
    n_concepts = len(src_all) + (0 if same else len(tgt_all))
    zweight = _intermediate_weights(method, deg, n_concepts)
    if degree_cap is not None:
        zweight[deg > degree_cap] = 0.0

    wanted = None if sources is None else set(sources)
    src_rows = [
        i
        for i, s in enumerate(src_all)
        if (source_scheme is None or nodes[s].get("scheme") == source_scheme) and (wanted is None or s in wanted)
    ]
    tgt_rows = [i for i, t in enumerate(tgt_all) if target_scheme is None or nodes[t].get("scheme") == target_scheme]
    srcs = [src_all[i] for i in src_rows]
    tgts = [tgt_all[i] for i in tgt_rows]
    if not srcs or not tgts:
        return []
    a = a_all[src_rows]
    b = b_all[tgt_rows]
    a.sort_indices()
    b.sort_indices()
    link = _link_scores(method, a, b, zweight)
    direct = _direct(graph, srcs, {t: j for j, t in enumerate(tgts)}) if direct_weight > 0 else None
    lexical = _Lexical(graph, srcs, tgts) if lexical_weight > 0 else None
    combined = (direct is not None and direct.nnz > 0) or (lexical is not None and lexical.active)
    scale = float(link.max()) if combined and link.nnz else 1.0

    records: list[dict] = []
    for start in range(0, len(srcs), 256):  # bounded memory: a block of sources at a time
        stop = min(start + 256, len(srcs))
        link_block = link[start:stop].toarray()
        score = link_weight * link_block / scale if combined else link_block.copy()
        direct_block = direct[start:stop].toarray() if direct is not None else None
        lex_block = lexical.scores(start, stop) if lexical is not None else None
        if direct_block is not None:
            score += direct_weight * direct_block
        if lex_block is not None:
            score += lexical_weight * lex_block
        score = np.round(score, 12)  # sums in another order must not reorder ties
        for r in range(stop - start):
            s = srcs[start + r]
            row = score[r]
            if same:
                row[[j for j, t in enumerate(tgts) if t == s]] = 0.0
            candidates = np.flatnonzero(row > 0)
            # Targets are in IRI order, so a stable sort on the score breaks ties by IRI.
            order = candidates[np.argsort(-row[candidates], kind="stable")][:k]
            for rank, j in enumerate(order, start=1):
                t = tgts[j]
                shared = _shared(graph, a, b, zweight, start + r, j, inter)
                terms = lexical.terms(start + r, j) if lexical is not None and lex_block[r, j] > 0 else []
                evidence = float(direct_block[r, j]) if direct_block is not None else 0.0
                records.append(
                    {
                        "source": s,
                        "target": t,
                        "score": float(row[j]),
                        "rank": rank,
                        "explanation": _explain(shared, terms, evidence),
                        "shared": shared,
                        "terms": terms,
                        "link": float(link_block[r, j]),
                        "direct": evidence,
                        "lexical": float(lex_block[r, j]) if lex_block is not None else 0.0,
                        "existing": graph.has_edge(s, t) or graph.has_edge(t, s),
                    }
                )
    return records


# --- link prediction ---------------------------------------------------------------------------


def _profiles(
    graph: nx.DiGraph, concepts: list[str], *, weight: str | None, hierarchy: float
) -> list[dict[str, float]]:
    """Each concept's skills and technologies with their strength; parents at ``hierarchy``."""
    nodes = graph.nodes
    succ = graph._succ  # plain dicts: the views cost a lookup per edge, and hubs have many edges
    parents_of: dict[str, list[str]] = {}  # each intermediate's broader parents, found once

    def parents(z: str) -> list[str]:
        found = parents_of.get(z)
        if found is None:
            found = parents_of[z] = [
                p
                for p, attrs in succ[z].items()
                if attrs.get("broader") and nodes[p].get("cls") in INTERMEDIATE_CLASSES
            ]
        return found

    out = []
    for concept in concepts:
        profile: dict[str, float] = {}
        for z, attrs in succ[concept].items():
            if attrs.get("predicate") not in PROFILE_PREDICATES or nodes[z].get("cls") not in INTERMEDIATE_CLASSES:
                continue
            strength = 1.0 if weight is None else float(attrs.get(weight, 1.0))
            if strength > profile.get(z, 0.0):
                profile[z] = strength
        if hierarchy > 0:
            # A parent inherits the strongest of its children, discounted: "welding" vouches for
            # "metal joining" but is not the same thing.
            for z, strength in sorted(profile.items()):
                for parent in parents(z):
                    profile[parent] = max(profile.get(parent, 0.0), hierarchy * strength)
        out.append(profile)
    return out


def _incidence(profiles: list[dict[str, float]], zindex: dict[str, int]) -> sp.csr_array:
    rows, cols, vals = [], [], []
    for r, profile in enumerate(profiles):
        for z, strength in profile.items():
            rows.append(r)
            cols.append(zindex[z])
            vals.append(strength)
    return sp.csr_array((vals, (rows, cols)), shape=(len(profiles), len(zindex)), dtype=float)


def _column_count(matrix: sp.csr_array) -> np.ndarray:
    return np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(float)


def _intermediate_weights(method: str, deg: np.ndarray, n_concepts: int) -> np.ndarray:
    safe = np.maximum(deg, 2.0)
    if method == "adamic_adar":
        # an intermediate of degree 1 can never be shared; log(1) = 0 must not divide
        return np.where(deg >= 2, 1.0 / np.log(safe), 0.0)
    if method == "resource_allocation":
        return np.where(deg >= 1, 1.0 / np.maximum(deg, 1.0), 0.0)
    return np.where(deg >= 1, np.log(max(n_concepts, 1) / np.maximum(deg, 1.0)), 0.0)


def _link_scores(method: str, a: sp.csr_array, b: sp.csr_array, zweight: np.ndarray) -> sp.csr_array:
    """Sources x targets link scores: one sparse product, never a networkx projection."""
    if method in ("adamic_adar", "resource_allocation"):
        return sp.csr_array(a @ sp.diags_array(zweight) @ b.T)
    if method == "jaccard":
        inter = sp.csr_array(a @ sp.diags_array(zweight) @ b.T).tocoo()
        size_a = a.multiply(a) @ zweight
        size_b = b.multiply(b) @ zweight
        union = size_a[inter.row] + size_b[inter.col] - inter.data
        data = np.divide(inter.data, union, out=np.zeros_like(inter.data), where=union > 0)
        return sp.csr_array((data, (inter.row, inter.col)), shape=inter.shape)
    wa = _normalise_rows(a @ sp.diags_array(zweight))
    wb = _normalise_rows(b @ sp.diags_array(zweight))
    return sp.csr_array(wa @ wb.T)


def _normalise_rows(matrix) -> sp.csr_array:
    matrix = sp.csr_array(matrix)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_array(sp.diags_array(inverse) @ matrix)


def _row(matrix: sp.csr_array, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices (sorted) and values of one CSR row, without scipy's slow row indexing."""
    lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[lo:hi], matrix.data[lo:hi]


def _common(ra, rb) -> tuple[np.ndarray, np.ndarray]:
    """The columns two rows share and the product of their values there."""
    common, ia, ib = np.intersect1d(ra[0], rb[0], assume_unique=True, return_indices=True)
    return common, ra[1][ia] * rb[1][ib]


def _shared(graph, a, b, zweight, row: int, col: int, inter: list[str]) -> list[dict]:
    """The intermediates behind one link score and what each contributes to it."""
    common, product = _common(_row(a, row), _row(b, col))
    out = [
        {"concept": inter[z], "label": graph.nodes[inter[z]].get("label", inter[z]), "contribution": float(c)}
        for z, c in zip(common, product * zweight[common], strict=True)
        if c > 0
    ]
    out.sort(key=lambda item: (-item["contribution"], item["concept"]))
    return out


# --- direct evidence ---------------------------------------------------------------------------


def _direct(graph: nx.DiGraph, sources: list[str], targets: dict[str, int]) -> sp.csr_array:
    """1 where the source's documents name the target, 0.5 where they name a close match of it."""
    rows, cols, vals = [], [], []
    matches_of: dict[str, list[str]] = {}  # each named concept's close matches, found once

    def matches(named: str) -> list[str]:
        found = matches_of.get(named)
        if found is None:
            found = matches_of[named] = [
                other
                for adjacency in (graph._succ[named], graph._pred[named])
                for other, match in adjacency.items()
                if match.get("close_match")
            ]
        return found

    for r, s in enumerate(sources):
        best: dict[int, float] = {}
        for named, attrs in graph._succ[s].items():
            if attrs.get("predicate") not in DIRECT_PREDICATES:
                continue
            if named in targets:
                best[targets[named]] = 1.0
            for other in matches(named):
                if other in targets:
                    best[targets[other]] = max(best.get(targets[other], 0.0), MATCH_EVIDENCE)
        for c, value in sorted(best.items()):
            rows.append(r)
            cols.append(c)
            vals.append(value)
    return sp.csr_array((vals, (rows, cols)), shape=(len(sources), len(targets)), dtype=float)


# --- lexical evidence --------------------------------------------------------------------------

_WORD = re.compile(r"[a-z][a-z0-9]+")
# Function words only: IDF takes care of words that are merely common.
_FUNCTION_WORD_LIST = (
    "a an and are as at be been but by can for from has have in into is it its may not of on or "
    "other than that the their them these they this those through to under was were which while "
    "who with within without"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())
# Longest first. A stem keeps at least four letters, so "welder" and "welding" meet at "weld"
# and "economist" and "economics" at "econom", while short words stay whole.
_SUFFIX_LIST = "ations ation ists ist istry ics ical ic ians ian ers er ors or ing ies y es s al e"
_SUFFIXES = tuple(sorted(_SUFFIX_LIST.split(), key=len, reverse=True))


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[tuple[str, str]]:
    """(stem, surface word) pairs of a text, function words left out."""
    return [(_stem(w), w) for w in _WORD.findall(text.lower()) if w not in _FUNCTION_WORDS]


class _Lexical:
    """IDF-weighted cosine between the sources' words and the targets' titles and definitions."""

    def __init__(self, graph: nx.DiGraph, sources: list[str], targets: list[str]) -> None:
        src_docs = [_words(_source_text(graph.nodes[s])) for s in sources]
        tgt_docs = [_words(_target_text(graph.nodes[t])) for t in targets]
        self.active = any(src_docs) and any(tgt_docs)
        vocab: dict[str, int] = {}
        self.surface: list[dict[str, str]] = []
        a = self._tf(src_docs, vocab, None)
        b = self._tf(tgt_docs, vocab, self.surface)
        a.resize((a.shape[0], len(vocab)))
        b.resize((b.shape[0], len(vocab)))
        n = len(sources) + len(targets)
        df = _column_count(a) + _column_count(b)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self.a = _normalise_rows(a @ sp.diags_array(idf))
        self.b = _normalise_rows(b @ sp.diags_array(idf))
        self.a.sort_indices()
        self.b.sort_indices()
        self.words = sorted(vocab, key=vocab.get)

    @staticmethod
    def _tf(docs, vocab: dict[str, int], surface: list | None) -> sp.csr_array:
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            counts = Counter(stem for stem, _ in doc)
            for stem in sorted(counts):
                rows.append(r)
                cols.append(vocab.setdefault(stem, len(vocab)))
                vals.append(1.0 + math.log(counts[stem]))  # sublinear: the tenth "welding" adds little
            if surface is not None:
                # each stem shown as the target's titles write it most often
                forms = Counter(doc)
                best: dict[str, tuple[int, str]] = {}
                for (stem, word), n in sorted(forms.items()):
                    if n > best.get(stem, (0, ""))[0]:
                        best[stem] = (n, word)
                surface.append({stem: word for stem, (_, word) in best.items()})
        return sp.csr_array((vals, (rows, cols)), shape=(len(docs), max(len(vocab), 1)), dtype=float)

    def scores(self, start: int, stop: int) -> np.ndarray:
        return (self.a[start:stop] @ self.b.T).toarray()

    def terms(self, row: int, col: int, top: int = 3) -> list[dict]:
        common, product = _common(_row(self.a, row), _row(self.b, col))
        best = sorted(zip(product, common, strict=True), key=lambda item: (-item[0], self.words[item[1]]))[:top]
        return [
            {"term": self.surface[col].get(self.words[z], self.words[z]), "contribution": float(v)} for v, z in best
        ]


def _source_text(attrs: dict) -> str:
    labels = [attrs.get("label", ""), *attrs.get("alt_labels", ())]
    return " ".join([*labels, attrs.get("definition", ""), attrs.get("text", "")])


def _target_text(attrs: dict) -> str:
    # titles and definition only: the words a programme text would use to name the occupation
    labels = [attrs.get("label", ""), *attrs.get("alt_labels", ())]
    return " ".join([*labels, attrs.get("definition", "")])


# --- explanation -------------------------------------------------------------------------------


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _explain(shared: list[dict], terms: list[dict], direct: float) -> str:
    parts = []
    if direct >= 1.0:
        parts.append("named in the source's documents")
    elif direct > 0:
        parts.append("a close match is named in the source's documents")
    if terms:
        parts.append("matches its titles on " + _join([f'"{t["term"]}"' for t in terms]))
    if shared:
        parts.append("shares " + _join([item["label"] for item in shared[:3]]))
    return "; ".join(parts) if parts else "no shared evidence"
