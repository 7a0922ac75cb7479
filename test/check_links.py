#!/usr/bin/env python3
"""Check that every relative link and anchor in the documentation resolves.

Usage: python3 test/check_links.py [REPO]     (default: the repository this
file is in).  Exits 1 and prints one line per broken link, FILE:LINE: ...

Files checked: README.md, CHANGELOG.md, bench/README.md and docs/**/*.md.
Links are Markdown inline links [text](target) outside fenced code blocks
and inline code.  http(s) and mailto links are not followed.  A target is
a file or directory relative to the linking file; an anchor (#x) must be
the GitHub anchor of a heading of the target file (lower case, punctuation
other than '-' and '_' removed, spaces turned into '-', '-1', '-2'... for
repeated headings).  docs/rules/<rule>.md counts as present for each rule
of the rule table in src/guard/engine.c (the rule pages are written on
other branches), and so do the anchors of their fixed sections (#safe-recipe,
#when-it-does-not-fire, ...); any other anchor into a missing page is reported.
"""
import os
import re
import sys

repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), '..'))


def rules():
    src = open(os.path.join(repo, 'src/guard/engine.c')).read()
    table = src[src.index('sg_rules[] = {'):]
    table = table[:table.index('\n};')]
    return set(re.findall(r'\{"([a-z_0-9]+)", SG_FAMILY_', table))


def anchor(text):
    text = re.sub(r'<[^>]+>', '', text).strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def strip_code(lines):
    """Lines with fenced blocks blanked and inline code removed."""
    out, fence = [], None
    for line in lines:
        m = re.match(r'^\s*(```+|~~~+)', line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append('')
            continue
        if m:
            fence = m.group(1)
            out.append('')
            continue
        out.append(line)
    return out


# the sections every rule page has (the rule pages' fixed outline)
RULE_PAGE_ANCHORS = {'what-it-catches', 'why-it-hurts', 'safe-recipe', 'when-it-does-not-fire',
                     'postgresql-versions', 'allowing-it-deliberately', 'see-also'}

anchor_cache = {}


def anchors_of(path):
    if path not in anchor_cache:
        seen, result = {}, set()
        for line in strip_code(open(path, encoding='utf-8').read().split('\n')):
            m = re.match(r'^#{1,6} +(.*?) *#*$', line)
            if not m:
                continue
            a = anchor(m.group(1))
            n = seen.get(a, 0)
            seen[a] = n + 1
            result.add(a if n == 0 else '%s-%d' % (a, n))
        anchor_cache[path] = result
    return anchor_cache[path]


def files():
    found = [os.path.join(repo, f) for f in ('README.md', 'CHANGELOG.md', 'bench/README.md')]
    for d, _, names in os.walk(os.path.join(repo, 'docs')):
        found += [os.path.join(d, n) for n in sorted(names) if n.endswith('.md')]
    return [f for f in found if os.path.exists(f)]


def main():
    rule_pages = {os.path.join(repo, 'docs/rules', r + '.md') for r in rules()}
    bad = checked = 0
    for path in files():
        lines = strip_code(open(path, encoding='utf-8').read().split('\n'))
        for no, line in enumerate(lines, 1):
            line = re.sub(r'`[^`]*`', '', line)
            for target in re.findall(r'\]\(([^)\s]+)(?:\s+"[^"]*")?\)', line):
                if re.match(r'^[a-z]+:', target):
                    continue
                checked += 1
                file_part, _, frag = target.partition('#')
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                where = '%s:%d: %s' % (os.path.relpath(path, repo), no, target)
                if not os.path.exists(dest):
                    if dest in rule_pages and (not frag or frag in RULE_PAGE_ANCHORS):
                        continue
                    print(where + ': no such file')
                    bad += 1
                    continue
                if frag and (os.path.isdir(dest) or frag not in anchors_of(dest)):
                    print(where + ': no such anchor')
                    bad += 1
    print('check_links: %d links checked, %d broken' % (checked, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
