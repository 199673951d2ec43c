"""Every layout converts real lesions: ISIC 2017 training images arranged as
ISIC 2018 Task 1, PH2 and a plain folder, and the official layouts without
their label CSV."""
import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmskin.datasets.conversion import convert_to_coco, find_official_samples
from mmskin.datasets.conversion.other_layouts import (find_folder_samples,
                                                      find_isic2018_samples, find_ph2_samples,
                                                      read_ph2_table)
from mmskin.utils import UNKNOWN_CATEGORY_ID, ISICFileError, tight_box

from ...ph2_layout import write_ph2_case, write_ph2_table


@pytest.fixture(scope='module')
def isic2017_train(shared_data):
    return shared_data / 'isic2017_train'


@pytest.fixture(scope='module')
def isic_samples(shared_data):
    return shared_data / 'isic_samples'


@pytest.fixture(scope='module')
def real(isic2017_train):
    """Six real ISIC 2017 lesions, two of them melanoma: id -> (image, mask, melanoma)."""
    with open(isic2017_train / 'labels.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    melanoma = [r['image_id'] for r in rows if float(r['melanoma']) == 1][:2]
    benign = [r['image_id'] for r in rows if float(r['melanoma']) == 0][:4]
    return {i: (isic2017_train / 'images' / f'{i}.jpg',
                isic2017_train / 'masks' / f'{i}_segmentation.png', int(i in melanoma))
            for i in sorted(melanoma + benign)}


def _convert(collection, out: Path) -> dict:
    summary = convert_to_coco(collection, out, progress=False)
    coco = json.loads(out.read_text())
    coco['summary'] = summary
    return coco


def _check_masks(coco: dict, root: Path, real: dict) -> dict:
    """Every annotation is the real mask; returns isic_id -> category_id."""
    categories = {}
    for image, ann in zip(coco['images'], coco['annotations']):
        truth = np.asarray(Image.open(real[image['isic_id']][1])) > 128
        mask = mask_utils.decode(ann['segmentation']).astype(bool)
        np.testing.assert_array_equal(mask, truth)
        x0, y0, x1, y1 = tight_box(truth)
        assert ann['bbox'] == [x0, y0, x1 - x0, y1 - y0]
        assert (root / image['file_name']).is_file()
        categories[image['isic_id']] = ann['category_id']
    return categories


def test_folder_reads_the_shared_set_as_it_is(isic2017_train, real, tmp_path):
    ids = sorted(real)
    collection = find_folder_samples(isic2017_train / 'images', isic2017_train / 'masks',
                                     isic2017_train / 'labels.csv').select(ids, 'ids')
    coco = _convert(collection, tmp_path / 'out.json')
    categories = _check_masks(coco, isic2017_train, real)
    assert categories == {i: real[i][2] + 1 for i in ids}
    assert coco['images'][0]['file_name'] == f'images/{ids[0]}.jpg'


def test_folder_without_labels_or_rows_keeps_images_unlabelled(real, tmp_path):
    images, masks = tmp_path / 'img', tmp_path / 'gt'
    images.mkdir()
    masks.mkdir()
    for image, mask, _ in real.values():
        shutil.copy(image, images)
        shutil.copy(mask, masks / mask.name.replace('_segmentation', '_Segmentation'))
    labels = tmp_path / 'labels.csv'
    first, second = sorted(real)[:2]
    labels.write_text(f'image_id,malignant\n{first},1\n{second},0\nISIC_9999999,1\n')
    coco = _convert(find_folder_samples(images, masks, labels), tmp_path / 'out.json')
    categories = _check_masks(coco, tmp_path, real)
    assert categories[first] == 2 and categories[second] == 1
    assert [c for i, c in categories.items() if i not in (first, second)] == \
        [UNKNOWN_CATEGORY_ID] * 4
    assert 'malignant, 4 unlabelled' in str(coco['summary'])
    coco = _convert(find_folder_samples(images, masks), tmp_path / 'none.json')
    assert {a['category_id'] for a in coco['annotations']} == {UNKNOWN_CATEGORY_ID}


def test_isic2018_task1_with_task3_one_hot_labels(real, tmp_path):
    root = tmp_path / 'isic2018'
    inputs = root / 'ISIC2018_Task1-2_Training_Input'
    truth = root / 'ISIC2018_Task1_Training_GroundTruth'
    inputs.mkdir(parents=True)
    truth.mkdir()
    for image, mask, _ in real.values():
        shutil.copy(image, inputs)
        shutil.copy(mask, truth)
    ids = sorted(real)
    task3 = tmp_path / 'task3.csv'
    diagnosis = {ids[0]: 'MEL', ids[1]: 'BCC', ids[2]: 'NV', 'ISIC_9999999': 'MEL'}
    columns = ('MEL', 'NV', 'BCC', 'AKIEC', 'BKL', 'DF', 'VASC')
    task3.write_text('image,' + ','.join(columns) + '\n' + ''.join(
        f'{i},' + ','.join('1.0' if c == d else '0.0' for c in columns) + '\n'
        for i, d in diagnosis.items()))
    coco = _convert(find_isic2018_samples(root, 'Training', task3), tmp_path / 'a.json')
    categories = _check_masks(coco, root, real)
    assert [categories[i] for i in ids] == [2, 1, 1] + [UNKNOWN_CATEGORY_ID] * 3
    assert '3 unlabelled' in str(coco['summary'])
    coco = _convert(find_isic2018_samples(root, 'Training', task3, ('MEL', 'BCC')),
                    tmp_path / 'b.json')
    assert [a['category_id'] for a in coco['annotations']][:3] == [2, 2, 1]
    with pytest.raises(ValueError, match='unknown split'):
        find_isic2018_samples(root, 'Train')


def _ph2(real: dict, root: Path, diagnoses: dict) -> None:
    for number, (isic_id, (image, mask, _)) in enumerate(sorted(real.items()), start=1):
        case = f'IMD{number:03d}'
        folder = root / 'PH2 Dataset images' / case
        (folder / f'{case}_Dermoscopic_Image').mkdir(parents=True)
        (folder / f'{case}_lesion').mkdir()
        (folder / f'{case}_roi').mkdir()
        Image.open(image).save(folder / f'{case}_Dermoscopic_Image' / f'{case}.bmp')
        Image.open(mask).save(folder / f'{case}_lesion' / f'{case}_lesion.bmp')
    rows = ''.join(f'|| {case} ||   ||   {code} ||  0 ||  T ||\n'
                   for case, code in diagnoses.items())
    (root / 'PH2_dataset.txt').write_text(
        '|| Name || Histological Diagnosis || Clinical Diagnosis || Asymmetry || '
        'Pigment Network ||\n' + rows + '\nLegends:\nClinical Diagnosis: 0 - Common Nevus\n')


def test_ph2_as_distributed(real, tmp_path):
    root = tmp_path / 'PH2Dataset'
    diagnoses = {f'IMD{n:03d}': code for n, code in zip(range(1, 7), '012012')}
    _ph2(real, root, diagnoses)
    table = read_ph2_table(root / 'PH2_dataset.txt')
    assert table.labels == {case: int(code == '2') for case, code in diagnoses.items()}
    coco = _convert(find_ph2_samples(root), tmp_path / 'ph2.json')
    by_case = {image['isic_id']: ann['category_id']
               for image, ann in zip(coco['images'], coco['annotations'])}
    assert by_case == {case: int(code == '2') + 1 for case, code in diagnoses.items()}
    masks = {f'IMD{n:03d}': real[i][1] for n, i in enumerate(sorted(real), start=1)}
    for image, ann in zip(coco['images'], coco['annotations']):
        truth = np.asarray(Image.open(masks[image['isic_id']])) > 128
        np.testing.assert_array_equal(mask_utils.decode(ann['segmentation']).astype(bool), truth)
        assert image['file_name'].startswith('PH2 Dataset images/')
    # a label CSV overrides the table
    labels = tmp_path / 'ph2.csv'
    labels.write_text('image_id,melanoma\nIMD001,1\n')
    coco = _convert(find_ph2_samples(root, labels), tmp_path / 'csv.json')
    assert [a['category_id'] for a in coco['annotations']] == [2] + [UNKNOWN_CATEGORY_ID] * 5


def test_ph2_table_errors_name_the_file(real, tmp_path):
    root = tmp_path / 'PH2Dataset'
    _ph2(real, root, {'IMD001': '3', 'IMD099': '0'})
    collection = find_ph2_samples(root)
    messages = [str(p) for p in collection.problems]
    assert any("unknown clinical diagnosis '3' of IMD001" in m for m in messages)
    assert any('IMD099 has no case folder' in m for m in messages)
    (root / 'PH2_dataset.txt').write_text('no table here\n')
    with pytest.raises(ISICFileError, match="PH2_dataset.txt: no header row naming 'Name'"):
        find_ph2_samples(root)


@pytest.mark.parametrize('layout', ['isbi2016', 'isic2017'])
def test_official_layouts_without_their_label_csv(isic_samples, real, tmp_path, layout, caplog):
    root = tmp_path / layout
    if layout == 'isbi2016':
        shutil.copytree(isic_samples, root, ignore=shutil.ignore_patterns('*.csv'))
        split = 'Training'
        expected = len(list((root / 'ISBI2016_ISIC_Part1_Training_Data').glob('*.jpg')))
    else:
        split = 'Test_v2'
        (root / 'ISIC-2017_Test_v2_Data').mkdir(parents=True)
        (root / 'ISIC-2017_Test_v2_Part1_GroundTruth').mkdir()
        for image, mask, _ in real.values():
            shutil.copy(image, root / 'ISIC-2017_Test_v2_Data')
            shutil.copy(mask, root / 'ISIC-2017_Test_v2_Part1_GroundTruth')
        expected = len(real)
    coco = _convert(find_official_samples(root, layout, split), tmp_path / 'out.json')
    assert len(coco['annotations']) == expected
    assert {a['category_id'] for a in coco['annotations']} == {UNKNOWN_CATEGORY_ID}
    assert f'{expected} unlabelled' in str(coco['summary'])
    assert 'no label CSV' in caplog.text


def test_ph2_masks_as_distributed_one_bit_and_24_bit_grey(real, tmp_path):
    """PH2 copies hold 1-bit BMP lesion masks and, here and there, a 24-bit
    BMP whose three channels are equal: 40 real lesions so laid out convert
    to 40 images whose masks are the source pixels; a mask in real colour is
    refused, worded for a BMP."""
    source = next(iter(real.values()))[0].parents[1]  # the real ISIC 2017 set
    ids = sorted(p.stem for p in (source / 'images').glob('*.jpg'))[:40]
    root = tmp_path / 'PH2Dataset'
    truth = {}
    for number, isic_id in enumerate(ids, start=1):
        mask_path = write_ph2_case(root, number, source / 'images' / f'{isic_id}.jpg')
        grey = Image.open(source / 'masks' / f'{isic_id}_segmentation.png')
        mask = grey.convert('RGB') if number == 7 else grey.convert('1')
        mask.save(mask_path)
        with Image.open(mask_path) as written:
            assert written.mode == ('RGB' if number == 7 else '1')
            truth[f'IMD{number:03d}'] = np.asarray(written.convert('L')) > 128
    write_ph2_table(root, truth)
    coco = _convert(find_ph2_samples(root), tmp_path / 'ph2.json')
    assert len(coco['images']) == 40 and coco['summary'].skipped == []
    for image, ann in zip(coco['images'], coco['annotations']):
        np.testing.assert_array_equal(mask_utils.decode(ann['segmentation']).astype(bool),
                                      truth[image['isic_id']])
    colour = root / 'PH2 Dataset images' / 'IMD007' / 'IMD007_lesion' / 'IMD007_lesion.bmp'
    rgb = np.asarray(Image.open(colour)).copy()
    rgb[..., 2] = 255 - rgb[..., 2]
    Image.fromarray(rgb).save(colour)
    with pytest.raises(ISICFileError, match=f'{colour}: mask is a colour BMP image whose '
                       'channels differ at [0-9]+ pixels; expected a grey mask'):
        convert_to_coco(find_ph2_samples(root), tmp_path / 'colour.json', progress=False)
