"""Unigram and bigram entropies of the KJV corpus in nats per character, computed independently
of gradlab (plain Python): the baselines a character-level model must beat (docs/kinds/scaling.md).

  /usr/bin/python3 experiments/scaling/kjv_entropy.py [build/data/kjv.txt] [test_fraction]

H1 = -Σ p(c) log p(c); H2 = H(X_{t+1} | X_t) = -Σ p(a, b) log p(b | a), plug-in estimates on the
whole text, on the training part (the first 1 - test_fraction, as data.test_fraction splits it),
and the cross-entropy on the validation part of the bigram model fitted on the training part
(add-one smoothing, so unseen pairs get a finite cost).
"""
import collections
import math
import sys


def entropies(text):
    uni = collections.Counter(text)
    pairs = collections.Counter(zip(text, text[1:]))
    first = collections.Counter(text[:-1])
    n = len(text)
    h1 = -sum(c / n * math.log(c / n) for c in uni.values())
    m = n - 1
    h2 = -sum(c / m * math.log(c / first[a]) for (a, _), c in pairs.items())
    return h1, h2


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/data/kjv.txt"
    test_fraction = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    with open(path, encoding="utf-8") as f:
        text = f.read()
    cut = int(math.floor(len(text) * (1 - test_fraction) + 0.5))
    train, valid = text[:cut], text[cut:]
    vocab = sorted(set(text))
    h1, h2 = entropies(text)
    t1, t2 = entropies(train)
    pairs = collections.Counter(zip(train, train[1:]))
    first = collections.Counter(train[:-1])
    v = len(vocab)
    xent = -sum(math.log((pairs[(a, b)] + 1) / (first[a] + v)) for a, b in zip(valid, valid[1:]))
    xent /= len(valid) - 1
    print(f"characters {len(text)}, distinct {v}, train {len(train)}, validation {len(valid)}")
    print(f"whole text: unigram {h1:.4f}, bigram {h2:.4f} nats/char")
    print(f"training part: unigram {t1:.4f}, bigram {t2:.4f} nats/char")
    print(f"bigram model of the training part on the validation part: {xent:.4f} nats/char")


if __name__ == "__main__":
    main()
