#!/usr/bin/env python3
"""gen-policy.py N [EXAMPLES] < conf/policy.yaml > big.yaml

Writes the policy from stdin with its tone.phrases replaced by N generated
phrases (the first three are the real calm-down, not-our-fault and
you-should-have rules, with their examples; the rest are 2-5 word phrases of
support-reply vocabulary, each with a suggestion). With EXAMPLES=1 every
generated phrase also carries one bad and one good example, so the load
runs 2N self-tests. Deterministic (fixed seed). Used by bench/policy/run and
bench/match/run; not part of make check.
"""
import random
import sys

WORDS = ("calm down not our fault problem you should have read the manual obviously as i "
         "said before per my last email we cannot help your order refund account please just "
         "stop complaining already told that is policy deal with it whatever clearly didn't "
         "listen again nothing can do wrong blame courier parcel billing team support honestly").split()

REAL = [
    ('calm-down', ['calm down', 'relax'], 'I understand how frustrating this is.',
     ['help you calm down the', 'relax the rules'], ['Please calm down.'], ['The calm downtown office is open.']),
    ('not-our-fault', ['not our fault', 'not our problem'], 'Let me find out what went wrong.',
     [], ['This is not our fault.'], ['We are finding out why.']),
    ('you-should-have', ['you should have', "you should've"], 'Next time, it helps to ...',
     [], ['You should have read the terms.'], ['Next time it helps to save the receipt.']),
]


def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def main():
    n = int(sys.argv[1])
    examples = len(sys.argv) > 2 and sys.argv[2] == '1'
    rnd = random.Random(15)
    src = sys.stdin.read().split('\n')
    out = []
    i = 0
    while i < len(src):
        line = src[i]
        out.append(line)
        i += 1
        if line == '  phrases:':
            # skip the original phrase list (indented deeper than 2)
            while i < len(src) and (src[i].startswith('    ') or src[i].strip() == ''):
                i += 1
            for k in range(n):
                if k < len(REAL):
                    pid, match, sug, unless, bad, good = REAL[k]
                else:
                    nw = 2 + rnd.randrange(4)
                    phrase = ' '.join(rnd.choice(WORDS) for _ in range(nw))
                    pid, match, sug, unless = 'gen-%d' % k, [phrase], 'Rephrase: %s' % phrase, []
                    bad = ['Well, %s, sorry.' % phrase] if examples else []
                    good = ['Nothing to see here %d.' % k] if examples else []
                out.append('    - id: %s' % pid)
                out.append('      match: [%s]' % ', '.join(q(m) for m in match))
                out.append('      suggest: %s' % q(sug))
                if unless:
                    out.append('      unless: [%s]' % ', '.join(q(u) for u in unless))
                if bad or good:
                    out.append('      examples:')
                    if bad:
                        out.append('        bad: [%s]' % ', '.join(q(b) for b in bad))
                    if good:
                        out.append('        good: [%s]' % ', '.join(q(g) for g in good))
            out.append('')
    sys.stdout.write('\n'.join(out))


if __name__ == '__main__':
    main()
