"""One loading rule: a checkpoint's weights must belong to the model."""
import pytest
import torch
import torch.nn as nn

from mmskin.utils import CheckpointMismatchError, check_weights_fit, load_weights
from mmskin.utils.checkpoint_fit import checkpoint_state_dict


class _Net(nn.Module):

    def __init__(self, classes=2, depth=2):
        super().__init__()
        self.body = nn.Sequential(*[nn.Conv2d(3, 3, 1) for _ in range(depth)])
        self.norm = nn.BatchNorm2d(3)
        self.cls = nn.Linear(3, classes)


def test_weights_of_the_same_model_load(tmp_path):
    source, target = _Net(), _Net()
    path = tmp_path / 'same.pth'
    torch.save(dict(state_dict=source.state_dict()), path)
    load_weights(target, str(path))
    assert torch.equal(target.cls.weight, source.cls.weight)


@pytest.mark.parametrize('other, found', [
    (dict(depth=3), '2 weights the model lacks (body.2.weight, body.2.bias)'),
    (dict(depth=1), '2 weights of the model missing (body.1.weight, body.1.bias)'),
    (dict(classes=3), '2 of another shape (cls.weight, cls.bias)'),
])
def test_another_architecture_is_refused_naming_the_file(tmp_path, other, found):
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=_Net(**other).state_dict()), path)
    model = _Net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match=f'{path}: the weights do not belong') as e:
        load_weights(model, str(path))
    assert found in str(e.value)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_declared_layers_may_differ_and_keep_their_initialisation(tmp_path):
    path = tmp_path / 'coco.pth'
    source = _Net(classes=81)
    torch.save(dict(state_dict=source.state_dict()), path)
    model = _Net()
    initial = model.cls.weight.clone()
    load_weights(model, str(path), reinit=['cls'])
    assert torch.equal(model.cls.weight, initial)
    assert torch.equal(model.body[0].weight, source.body[0].weight)
    # A name is a layer, not a prefix of a word.
    with pytest.raises(CheckpointMismatchError):
        check_weights_fit(model, source.state_dict(), 'coco.pth', reinit=['cl'])


@pytest.mark.parametrize('layer', ('body.1', 'cls'))
def test_a_non_finite_weight_is_refused(layer):
    """In any layer that loads, one the allowance names included."""
    state = _Net().state_dict()
    state[f'{layer}.weight'].view(-1)[0] = float('inf')
    with pytest.raises(CheckpointMismatchError,
                       match=r'nan.pth: 1 weights are not finite \(NaN or infinite\): '
                       f'{layer}.weight'):
        check_weights_fit(_Net(), state, 'nan.pth', reinit=['cls'])


def test_batchnorm_counters_may_be_missing_and_ddp_prefixes_are_removed():
    state = {f'module.{k}': v for k, v in _Net().state_dict().items()
             if 'num_batches_tracked' not in k}
    check_weights_fit(_Net(), checkpoint_state_dict(dict(state_dict=state), 'x.pth'), 'x.pth')
