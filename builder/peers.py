"""Checks of the exchange between centres (跨中心协同) beyond the meta-schemas: peers in
``centre.yaml`` and their use by departments in ``departments.yaml``."""

from __future__ import annotations

from typing import Any

from builder.errors import Problem
from builder.names import closest, did_you_mean
from builder.source import Source


def _items(src: Source | None, key: str) -> list[tuple[int, dict[str, Any]]]:
    value = src.value if src is not None and isinstance(src.value, dict) else {}
    items = value.get(key)
    return [(i, item) for i, item in enumerate(items if isinstance(items, list) else [])
            if isinstance(item, dict)]


def peer_problems(centre: Source | None, departments: Source | None) -> list[Problem]:
    """Every problem of the peers and their use: duplicate peer ids or urls, a peer
    named like this centre, peers without the centre's own ``id``, and departments
    whose ``centre`` is no peer (with did-you-mean) or that name ``remote`` alone."""
    problems: list[Problem] = []
    own = centre.value.get("id") if centre is not None and isinstance(centre.value, dict) \
        else None
    peers: dict[str, int] = {}
    urls: dict[str, str] = {}
    for i, peer in _items(centre, "peers"):
        peer_id, url = peer.get("id"), peer.get("url")
        if not isinstance(peer_id, str):
            continue
        assert centre is not None
        if peer_id in peers:
            problems.append(centre.problem(("peers", i, "id"), f"duplicate peer id '{peer_id}'",
                                           code="duplicate_peer", params={"id": peer_id}))
        elif peer_id == own:
            problems.append(centre.problem(("peers", i, "id"), f"peer '{peer_id}' has this "
                                           "centre's own id", code="peer_is_self",
                                           params={"id": peer_id}))
        if isinstance(url, str):
            if url.rstrip("/") in urls:
                problems.append(centre.problem(
                    ("peers", i, "url"), f"peer '{peer_id}' has the same url as peer "
                    f"'{urls[url.rstrip('/')]}'", code="duplicate_peer_url",
                    params={"id": peer_id, "other": urls[url.rstrip("/")]}))
            urls.setdefault(url.rstrip("/"), peer_id)
        peers.setdefault(peer_id, i)
    if peers and not own and centre is not None:
        problems.append(centre.problem(("peers",), "a centre with peers needs its own 'id' "
                                       "(how its peers name it)", key=True,
                                       code="peers_without_id", params={}))
    for i, dep in _items(departments, "departments"):
        assert departments is not None
        where = dep.get("centre")
        if isinstance(where, str) and where not in peers:
            known = sorted(peers)
            if not known:
                message = (f"department '{dep.get('id')}' sits in centre '{where}', but "
                           "centre.yaml lists no peers")
            else:
                message = (f"unknown peer centre '{where}' for department '{dep.get('id')}'"
                           + did_you_mean(where, known))
            problems.append(departments.problem(
                ("departments", i, "centre"), message, code="unknown_peer",
                params={"centre": where, "department": dep.get("id"),
                        "hint": closest(where, known) or ""}))
        if "remote" in dep and "centre" not in dep:
            problems.append(departments.problem(
                ("departments", i, "remote"), f"department '{dep.get('id')}' names 'remote' "
                "without 'centre' (the peer it sits in)", key=True, code="remote_without_centre",
                params={"department": dep.get("id")}))
    return problems
