"""Vocabulary enrichment: the vocabularies' own facts added to a concept graph.

A concept the corpus describes in a few words (a CIP definition, an O*NET summary) gets a thin
profile of skills and technologies. :func:`enrich_with_vocabulary` adds what the vocabularies
themselves state: O*NET occupations' technologies, ESCO occupations' essential and optional
skills (carried to O*NET occupations over the crosswalks), the skill hierarchy, the crosswalks,
and the titles and definitions used as lexical evidence by
:func:`chaingraph.align.suggest.suggest_links`. Every added edge is marked
``source="vocabulary"``, so corpus evidence and vocabulary facts stay apart.
"""

from __future__ import annotations

import networkx as nx

from chaingraph.rdf.namespaces import CG, CG_GRAPH, CHAIN_OF_CLASS, SKOS
from chaingraph.rdf.terms import InvalidIRI, parse_iri, values_block

__all__ = ["INTERMEDIATE_CLASSES", "enrich_with_vocabulary"]

#: The classes whose concepts are the shared intermediates of link suggestions.
INTERMEDIATE_CLASSES = frozenset({"Skill", "Technology"})


_PREFIXES = f"PREFIX cg: <{CG}> PREFIX skos: <{SKOS}> "
_BATCH = 1500


def _nodes(iris: list[str]) -> list:
    """The IRIs as checked terms (a node name that is not an IRI names nothing in the store)."""
    nodes = []
    for iri in iris:
        try:
            nodes.append(parse_iri(iri))
        except InvalidIRI:
            continue
    return nodes


def _batched(store, iris: list[str], template: str, variable: str):
    """Rows of ``template`` run over ``iris`` in batches (``$VALUES`` stands for a batch bound to ``variable``)."""
    nodes = _nodes(iris)
    for start in range(0, len(nodes), _BATCH):
        values = values_block(variable, nodes[start : start + _BATCH])
        yield from store.query(_PREFIXES + template.replace("$VALUES", values))


def _describe(store, iris: list[str]) -> dict[str, dict]:
    """Class, English label, scheme and code of concepts the graph does not hold yet."""
    classes = {"Skill", "Technology", "Occupation", "Programme", "Course", "Industry"}
    out: dict[str, dict] = {}
    template = """SELECT ?c ?cls ?label ?scheme ?code WHERE { $VALUES
        ?c a ?cls .
        OPTIONAL { ?c skos:prefLabel ?label . FILTER(LANG(?label) = "en") }
        OPTIONAL { ?c skos:inScheme ?s . ?s cg:prefix ?scheme }
        OPTIONAL { ?c skos:notation ?code } }"""
    for row in _batched(store, iris, template, "c"):
        cls = row["cls"].value.rsplit("#", 1)[-1]
        if not row["cls"].value.startswith(CG) or cls not in classes:
            continue
        iri = row["c"].value
        label = row["label"].value if row["label"] is not None else iri
        out[iri] = {
            "cls": cls,
            "chain": CHAIN_OF_CLASS[cls],
            "label": label,
            "labels": {"en": label},
            "scheme": row["scheme"].value if row["scheme"] is not None else "",
            "code": row["code"].value if row["code"] is not None else "",
            "mentions": 0,
            "documents": 0,
            "hot": False,
            "in_demand": False,
        }
    return out


def enrich_with_vocabulary(
    graph: nx.DiGraph,
    store,
    *,
    technologies: bool = True,
    esco_skills: bool = True,
    broader: bool = True,
    close_matches: bool = True,
    descriptions: bool = True,
) -> dict[str, int]:
    """Add the vocabularies' own facts to a concept graph, so thinly described concepts get a profile.

    Every added edge carries ``source="vocabulary"`` and ``documents=0``; an edge the corpus
    already has is kept as it is (only flagged, see ``broader`` and ``close_matches``).

    Parameters
    ----------
    graph:
        A concept graph (:func:`~chaingraph.align.projection.concept_graph`); changed in place.
    store:
        The opened store the graph was read from (it holds the vocabularies).
    technologies:
        O*NET occupation ``uses`` each technology its O*NET record lists (``cg:technologyUsed``).
    esco_skills:
        An occupation ``requires`` the essential (weight 1) and optional (weight 0.5) skills of
        ESCO: its own if it is an ESCO occupation; for an O*NET occupation, those of the ESCO
        occupations that ``skos:closeMatch`` it, weighted by the share of them that list the skill.
    broader:
        Skills' and technologies' ``skos:broader`` parents (edge attribute ``broader=True``), the
        hierarchy :func:`suggest_links` smooths profiles with.
    close_matches:
        The crosswalks' ``skos:closeMatch`` between occupations (edge attribute
        ``close_match=True``), so that naming an ESCO occupation counts for its O*NET match.
    descriptions:
        Node attributes for the lexical evidence of programmes, courses, occupations and
        industries: ``alt_labels`` (English alternative labels), ``definition``, and ``text``
        (the sentences of the corpus documents about the concept).

    Returns
    -------
    dict
        How many edges of each kind were added and how many concepts were described.
    """
    nodes = graph.nodes
    occupations = sorted(n for n, a in nodes(data=True) if a.get("cls") == "Occupation")
    added = {"uses": 0, "requires": 0, "broader": 0, "close_match": 0, "described": 0}
    pending: list[tuple[str, str, dict]] = []
    if technologies:
        onet = [o for o in occupations if nodes[o].get("scheme") == "onet"]
        for row in _batched(store, onet, "SELECT ?o ?t WHERE { $VALUES ?o cg:technologyUsed ?t }", "o"):
            pending.append((row["o"].value, row["t"].value, {"predicate": "uses", "weight": 1.0}))
    if esco_skills:
        pending.extend(_esco_skill_edges(store, graph, occupations))
    if close_matches:
        template = "SELECT ?a ?b WHERE { $VALUES ?a skos:closeMatch ?b }"
        for row in _batched(store, occupations, template, "a"):
            pending.append((row["a"].value, row["b"].value, {"predicate": "closeMatch", "close_match": True}))
    new = sorted({n for s, o, _ in pending for n in (s, o)} - set(graph))
    facts = _describe(store, new)

    def add(s: str, o: str, attrs: dict) -> None:
        for n in (s, o):
            if n not in graph:
                if n not in facts:
                    return  # not a concept of the vocabularies: nothing to hang it on
                graph.add_node(n, **facts[n])
        if graph.has_edge(s, o):
            # the corpus already relates them: keep its evidence, record the vocabulary fact
            for flag in ("broader", "close_match"):
                if attrs.get(flag) and not graph.edges[s, o].get(flag):
                    graph.edges[s, o][flag] = True
                    added[flag] += 1
            return
        strength = float(attrs.get("weight", 1.0))
        graph.add_edge(
            s, o, sentences=0, documents=0, evidence=strength, source="vocabulary", **{**attrs, "weight": strength}
        )
        added["close_match" if attrs.get("close_match") else attrs["predicate"]] += 1

    for s, o, attrs in pending:
        add(s, o, attrs)
    if broader:
        inter = sorted(n for n, a in nodes(data=True) if a.get("cls") in INTERMEDIATE_CLASSES)
        template = "SELECT ?c ?p WHERE { $VALUES ?c skos:broader ?p }"
        pairs = [(row["c"].value, row["p"].value) for row in _batched(store, inter, template, "c")]
        facts.update(_describe(store, sorted({p for _, p in pairs} - set(graph))))
        for child, parent in sorted(pairs):
            add(child, parent, {"predicate": "broader", "broader": True})
    if descriptions:
        added["described"] = _describe_for_lexical(store, graph)
    return added


def _esco_skill_edges(store, graph: nx.DiGraph, occupations: list[str]) -> list[tuple[str, str, dict]]:
    nodes = graph.nodes
    onet = [o for o in occupations if nodes[o].get("scheme") == "onet"]
    esco = [o for o in occupations if nodes[o].get("scheme") == "esco"]
    strength = {"essentialSkill": 1.0, "optionalSkill": 0.5}
    out = []
    matched: dict[str, set[str]] = {}
    best: dict[tuple[str, str, str], float] = {}
    for kind, w in strength.items():
        # one query per property: a variable predicate makes the store scan every triple
        template = f"SELECT ?o ?s WHERE {{ $VALUES ?o cg:{kind} ?s }}"
        for row in _batched(store, esco, template, "o"):
            out.append((row["o"].value, row["s"].value, {"predicate": "requires", "weight": w}))
        # An O*NET occupation borrows the skills of its ESCO close matches; the crosswalk is
        # many-to-one, so a skill counts by the share of the matched ESCO occupations listing it.
        template = f"SELECT ?o ?e ?s WHERE {{ $VALUES ?e skos:closeMatch ?o ; cg:{kind} ?s }}"
        for row in _batched(store, onet, template, "o"):
            o, e, skill = row["o"].value, row["e"].value, row["s"].value
            matched.setdefault(o, set()).add(e)
            best[(o, e, skill)] = max(best.get((o, e, skill), 0.0), w)
    total: dict[tuple[str, str], float] = {}
    for (o, _e, s), w in best.items():
        total[(o, s)] = total.get((o, s), 0.0) + w
    for (o, s), w in sorted(total.items()):
        out.append((o, s, {"predicate": "requires", "weight": round(w / len(matched[o]), 6)}))
    return out


def _describe_for_lexical(store, graph: nx.DiGraph) -> int:
    nodes = graph.nodes
    concepts = sorted(n for n, a in nodes(data=True) if a.get("cls") not in INTERMEDIATE_CLASSES)
    alt: dict[str, set[str]] = {}
    template = """SELECT ?c ?l WHERE { $VALUES
        ?c skos:altLabel|skos:hiddenLabel ?l . FILTER(LANGMATCHES(LANG(?l), "en")) }"""
    for row in _batched(store, concepts, template, "c"):
        alt.setdefault(row["c"].value, set()).add(row["l"].value)
    definition: dict[str, str] = {}
    template = """SELECT ?c ?d WHERE { $VALUES
        ?c skos:definition ?d . FILTER(LANGMATCHES(LANG(?d), "en")) }"""
    for row in _batched(store, concepts, template, "c"):
        definition[row["c"].value] = row["d"].value
    sentences: dict[str, list[tuple[str, int, str]]] = {}
    template = f"""SELECT ?c ?d ?start ?t WHERE {{ $VALUES
        GRAPH ?g {{ ?d cg:about ?c . ?s cg:inDocument ?d ; cg:start ?start ; cg:text ?t }}
        FILTER(STRSTARTS(STR(?g), "{CG_GRAPH}doc/")) }}"""
    for row in _batched(store, concepts, template, "c"):
        sentences.setdefault(row["c"].value, []).append((row["d"].value, int(row["start"].value), row["t"].value))
    described = 0
    for c in concepts:
        attrs = nodes[c]
        attrs["alt_labels"] = sorted(alt.get(c, ()))
        attrs["definition"] = definition.get(c, "")
        attrs["text"] = " ".join(t for _, _, t in sorted(set(sentences.get(c, ()))))
        described += bool(attrs["alt_labels"] or attrs["definition"] or attrs["text"])
    return described
