#!/usr/bin/env python3
"""Counts the public items of smartlink-core as its documentation shows them.

Usage: cargo doc -p smartlink-core --no-deps && scripts/public-items.py [--list]

Counts, in target/doc/smartlink_core (rustdoc HTML, stable toolchain):
modules (pages index.html), types (struct/enum/trait/type pages), free
functions and constants (fn./constant. pages), methods (ids `method.` and
`tymethod.` on a type's page before its trait implementations), and
re-exports (`pub use` lines rustdoc lists instead of inlining, i.e. items
that also have another path)."""
import collections, os, re, sys

root = os.path.join(os.path.dirname(__file__), '..', 'target', 'doc', 'smartlink_core')
kinds, methods, reexports, items = collections.Counter(), 0, 0, []
for d, _, files in os.walk(root):
    for f in files:
        text = open(os.path.join(d, f), encoding='utf-8').read() if f.endswith('.html') else ''
        if f == 'index.html':
            kinds['module'] += 1
            reexports += len(re.findall(r'id="reexport\.', text))
            continue
        m = re.match(r'(struct|enum|trait|type|union|fn|constant|macro|static)\.(.+)\.html$', f)
        if not m or 'http-equiv="refresh"' in text[:2000]:
            continue
        kinds[m.group(1)] += 1
        items.append(f'{os.path.relpath(d, root)}/{m.group(1)} {m.group(2)}')
        if m.group(1) in ('struct', 'enum', 'trait', 'union', 'type'):
            own = text.split('id="trait-implementations"')[0]
            methods += len(set(re.findall(r'id="((?:ty)?method\.\w+)"', own)))
types = sum(kinds[k] for k in ('struct', 'enum', 'trait', 'type', 'union'))
print(f"modules {kinds['module']}, types {types} (struct {kinds['struct']}, enum {kinds['enum']}, "
      f"trait {kinds['trait']}, type {kinds['type']}), free functions {kinds['fn']}, "
      f"methods {methods}, constants {kinds['constant']}, re-exports {reexports}")
if '--list' in sys.argv:
    print('\n'.join(sorted(items)))
