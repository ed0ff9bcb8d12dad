#!/usr/bin/env python3
"""Module graph of the library (src/, not src/bin): import edges between files, and the cycles.

Usage (from the repository root): python3 scripts/module_graph.py [--top]
Edges come from `crate::...` and `super::...` paths in each file (outside `#[cfg(test)] mod
tests`); --top folds them onto the top-level modules. The last lines count the edges and name
every cycle (strongly connected component of more than one module).
"""
import os, re, sys, itertools
ROOT = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith('--') else 'src'
files = {}
for dp, dn, fn in os.walk(ROOT):
    if '/bin' in dp or dp.endswith('bin'):
        continue
    for f in fn:
        if f.endswith('.rs'):
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, ROOT)[:-3]
            parts = rel.split('/')
            if parts[-1] in ('mod', 'lib'):
                parts = parts[:-1]
            files['::'.join(parts)] = open(p).read()
mods = set(files)
def resolve(path):
    # longest known module prefix of a crate path
    segs = path.split('::')
    for k in range(len(segs), 0, -1):
        m = '::'.join(segs[:k])
        if m in mods:
            return m
    return None
edges = set()
for m, text in files.items():
    text = re.sub(r'//.*', '', text)
    text = re.split(r'#\[cfg\(test\)\]\s*mod tests', text)[0]
    for mt in re.finditer(r'\bcrate::((?:[a-z_0-9]+::)*[a-z_0-9]+)', text):
        t = resolve(mt.group(1))
        if t and t != m and not m.startswith(t + '::') :
            edges.add((m, t))
    for mt in re.finditer(r'\bsuper::((?:[a-z_0-9]+::)*[a-z_0-9]+)', text):
        parent = '::'.join(m.split('::')[:-1])
        t = resolve((parent + '::' if parent else '') + mt.group(1))
        if t and t != m and not m.startswith(t + '::'):
            edges.add((m, t))
top = '--top' in sys.argv
if top:
    edges = {(a.split('::')[0], b.split('::')[0]) for a, b in edges if a.split('::')[0] != b.split('::')[0]}
for a, b in sorted(edges):
    print(f'{a} -> {b}')
# cycles (strongly connected components)
graph = {}
for a, b in edges:
    graph.setdefault(a, set()).add(b)
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in graph.get(v, ()):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
for v in list(graph):
    if v not in index: strong(v)
print(f'# {len(edges)} edges; cycles: {len(sccs)}')
for c in sccs:
    print('# cycle: ' + ' <-> '.join(c))
