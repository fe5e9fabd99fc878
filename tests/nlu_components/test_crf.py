"""The hand-written CRF against brute force over every tag sequence of a tiny example."""

import itertools

import pytest
import torch

from neural.crf import CRF, bio_constraints
from slots.bert_bilstm_crf_extractor import bio_tags, decode_spans, encode_tags, span_f1


def all_path_scores(crf: CRF, emissions: torch.Tensor, length: int):
    """Score of every tag sequence of ``length`` for one item (``emissions`` [T, K])."""
    trans, start = crf._trans(), crf._start()
    scores = {}
    for path in itertools.product(range(crf.num_tags), repeat=length):
        s = start[path[0]] + emissions[0, path[0]] + crf.end[path[-1]]
        for t in range(1, length):
            s = s + trans[path[t - 1], path[t]] + emissions[t, path[t]]
        scores[path] = s
    return scores


@pytest.fixture
def crf():
    torch.manual_seed(0)
    model = CRF(3)
    with torch.no_grad():
        for p in (model.transitions, model.start, model.end):
            p.normal_()
    return model


def test_viterbi_partition_and_marginals_match_brute_force(crf):
    torch.manual_seed(1)
    emissions = torch.randn(2, 4, 3)
    mask = torch.tensor([[True] * 4, [True, True, True, False]])  # second item is padded
    paths = crf.viterbi(emissions, mask)
    log_z = crf.log_partition(emissions, mask)
    marginals = crf.marginals(emissions, mask)
    for b, length in enumerate((4, 3)):
        scores = all_path_scores(crf, emissions[b], length)
        best = max(scores, key=lambda p: float(scores[p]))
        assert paths[b] == list(best)
        brute_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        assert torch.allclose(log_z[b], brute_z, atol=1e-5)
        for t in range(length):
            for k in range(3):
                p = sum(torch.exp(s - brute_z) for path, s in scores.items() if path[t] == k)
                assert abs(float(marginals[b, t, k]) - float(p)) < 1e-5
        assert float(marginals[b, length:].abs().sum()) == 0.0


def test_log_likelihood_is_path_score_minus_partition(crf):
    emissions = torch.randn(1, 3, 3)
    mask = torch.ones(1, 3, dtype=torch.bool)
    tags = torch.tensor([[2, 0, 1]])
    scores = all_path_scores(crf, emissions[0], 3)
    expected = scores[(2, 0, 1)] - torch.logsumexp(torch.stack(list(scores.values())), 0)
    assert torch.allclose(crf.log_likelihood(emissions, tags, mask)[0], expected, atol=1e-5)


def test_bio_constraints_forbid_inside_without_begin():
    tags = bio_tags(["disease", "drug"])  # O B-disease I-disease B-drug I-drug
    model = CRF(len(tags), *bio_constraints(tags))
    emissions = torch.full((1, 3, len(tags)), -5.0)
    emissions[0, :, tags.index("I-disease")] = 5.0  # emissions alone say I I I
    path = [tags[i] for i in model.viterbi(emissions, torch.ones(1, 3, dtype=torch.bool))[0]]
    assert path[0] != "I-disease"
    assert all(not (a in ("O", "B-drug", "I-drug") and b == "I-disease") for a, b in itertools.pairwise(path))


def test_training_lowers_the_negative_log_likelihood():
    torch.manual_seed(0)
    model = CRF(3)
    emissions = torch.randn(4, 5, 3, requires_grad=False)
    tags = torch.randint(0, 3, (4, 5))
    mask = torch.ones(4, 5, dtype=torch.bool)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    before = -model.log_likelihood(emissions, tags, mask).mean()
    for _ in range(30):
        loss = -model.log_likelihood(emissions, tags, mask).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < float(before)


def test_bio_round_trip_and_f1():
    tags = bio_tags(["disease", "drug"])
    index = {t: i for i, t in enumerate(tags)}
    spans = [(0, 2, "disease"), (4, 7, "drug")]
    ids = encode_tags(8, spans, index)
    assert decode_spans([tags[i] for i in ids]) == spans
    assert span_f1([spans], [spans]) == 1.0
    assert span_f1([spans], [[(0, 2, "disease")]]) == pytest.approx(2 / 3)


def test_constrained_short_and_padded_sequences_match_brute_force():
    tags = bio_tags(["disease"])  # O B-disease I-disease
    torch.manual_seed(3)
    model = CRF(len(tags), *bio_constraints(tags))
    with torch.no_grad():
        for p in (model.transitions, model.start, model.end):
            p.normal_()
    emissions = torch.randn(3, 5, len(tags)) * 4
    lengths = (5, 1, 3)
    mask = torch.arange(5)[None] < torch.tensor(lengths)[:, None]
    paths, marginals = model.viterbi(emissions, mask), model.marginals(emissions, mask)
    for b, length in enumerate(lengths):
        scores = all_path_scores(model, emissions[b], length)
        assert paths[b] == list(max(scores, key=lambda p: float(scores[p])))
        z = torch.logsumexp(torch.stack(list(scores.values())), 0)
        for t in range(length):
            for k in range(len(tags)):
                p = sum(torch.exp(s - z) for path, s in scores.items() if path[t] == k)
                assert abs(float(marginals[b, t, k]) - float(p)) < 1e-5
        assert float(marginals[b, length:].abs().sum()) == 0.0


def test_numpy_inputs_decode_as_torch_inputs(crf):
    # the serving path hands the CRF onnxruntime's NumPy outputs, the batch path torch tensors
    torch.manual_seed(2)
    emissions = torch.randn(3, 5, 3)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2, [True] + [False] * 4])
    assert crf.viterbi(emissions.numpy(), mask.numpy()) == crf.viterbi(emissions, mask)
    rows = crf.marginal_rows(emissions.numpy(), mask.numpy())
    assert [len(r) for r in rows] == [5, 3, 1]
    marginals = crf.marginals(emissions, mask)
    for b, sequence in enumerate(rows):
        assert torch.allclose(torch.tensor(sequence), marginals[b, : len(sequence)], atol=1e-6)
        assert all(sum(position) == pytest.approx(1.0) for position in sequence)


def test_constant_scores_follow_every_parameter_update(crf):
    torch.manual_seed(3)
    emissions, mask = 0.01 * torch.randn(1, 6, 3), torch.ones(1, 6, dtype=torch.bool)
    before = crf.viterbi(emissions, mask)  # weak emissions: the (cached) transitions decide
    with torch.no_grad():  # an optimiser step: in place
        crf.transitions.fill_(0.0)
        crf.start.fill_(0.0)
        crf.end.fill_(0.0)
    after = crf.viterbi(emissions, mask)
    assert after == [emissions[0].argmax(1).tolist()]  # now the emissions alone decide
    assert after != before and crf._constants()[0] == [[0.0] * 3] * 3


def test_constant_scores_follow_an_optimiser_step_and_a_loaded_state(crf):
    before = crf._constants()
    saved = {k: v.clone() for k, v in crf.state_dict().items()}
    optimizer = torch.optim.AdamW(crf.parameters(), lr=0.5, foreach=True)
    emissions, mask = torch.randn(2, 4, 3), torch.ones(2, 4, dtype=torch.bool)
    loss = -crf.log_likelihood(emissions, torch.zeros(2, 4, dtype=torch.long), mask)
    loss.mean().backward()
    optimizer.step()
    assert crf._constants() != before
    crf.load_state_dict(saved)  # in place, as fit() restores its best epoch
    assert crf._constants() == before
