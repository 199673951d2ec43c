"""tools/app.py in a real browser: headless Chromium uploads a real ISIC
photo and the page shows the p_malignant of tools/infer.py and an overlay."""
import csv
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[2]
STARTUP_S = 120  # loading torch, mmdet and gradio on a busy 2-core machine
WAIT_S = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _wait_for_line(proc: subprocess.Popen, prefix: str, timeout: float) -> str:
    """The first line of the app's output that starts with ``prefix``; the
    whole output so far in the failure message otherwise."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put(None)],
                     daemon=True).start()
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f'no {prefix!r} line within {timeout} s:\n' + ''.join(seen))
        if line is None:
            pytest.fail(f'the app exited ({proc.wait()}):\n' + ''.join(seen))
        seen.append(line)
        if line.startswith(prefix):
            return line


@pytest.fixture
def app_url(model_files):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / 'tools/app.py'), str(model_files.config),
         str(model_files.checkpoint), '--port', str(port), '--device', 'cpu',
         '--threshold', '0.3'],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = _wait_for_line(proc, 'serving on ', STARTUP_S)
        assert line.strip() == f'serving on http://127.0.0.1:{port}/'
        yield line.split()[-1], proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser():
    options = Options()
    options.binary_location = shutil.which('chromium') or 'chromium'
    # Headless and local only: no name but the app's address resolves, and
    # none of the browser's own background services run.
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                     '--disable-gpu', '--window-size=1280,1800',
                     '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
                     '--disable-background-networking', '--disable-component-update',
                     '--disable-sync', '--disable-extensions', '--no-first-run'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _upload(driver, path: Path) -> None:
    field = WebDriverWait(driver, WAIT_S).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, '#photos input[type=file]')))
    field.send_keys(str(path))


def test_the_page_shows_what_infer_writes(app_url, browser, model_files, load_tool, shared_data,
                                          tmp_path):
    url, proc = app_url
    photo = shared_data / 'isic2017_train' / 'images' / 'ISIC_0000004.jpg'
    out = tmp_path / 'infer'
    assert load_tool('tools/infer.py').main(
        [str(model_files.config), str(model_files.checkpoint), str(photo), '--out-dir', str(out),
         '--device', 'cpu']) == 0
    with open(out / 'predictions.csv', newline='') as f:
        [row] = list(csv.DictReader(f))

    browser.get(url)
    _upload(browser, photo)
    wait = WebDriverWait(browser, WAIT_S)
    cell = wait.until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, f'#results tr[data-image-id="{photo.stem}"] td.p-malignant')))
    assert cell.text == row['p_malignant']
    assert browser.find_element(By.CSS_SELECTOR, '#results td.label-threshold').text in (
        'benign', 'malignant', 'no lesion detected')
    # the overlay has arrived and been decoded
    wait.until(lambda d: d.execute_script(
        "const img = document.querySelector('#overlays img');"
        'return img !== null && img.complete && img.naturalWidth > 0;'))
    width, height = browser.execute_script(
        "const img = document.querySelector('#overlays img');"
        'return [img.naturalWidth, img.naturalHeight];')
    assert (width, height) == (256, 192)  # the photo's size
    # and the saliency map beside it
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#overlays img')) == 2)
    links = wait.until(lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('#downloads a[href]'), a => a.href);"))
    assert sorted(link.rsplit('/', 1)[-1] for link in links) == [
        f'{photo.stem}_segmentation.png', 'predictions.csv']

    shot = tmp_path / 'app.png'
    assert browser.save_screenshot(str(shot))
    pixels = cv2.imread(str(shot))
    assert pixels is not None and pixels.std() > 20, 'the screenshot is blank'

    # a file that is no image: a message on the page, and the app keeps serving
    notes = tmp_path / 'notes.jpg'
    notes.write_text('not an image\n')
    _upload(browser, notes)
    problem = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '#results .problem')))
    assert problem.text == 'notes.jpg: not an image file (unknown format)'
    assert 'Traceback' not in browser.page_source
    assert proc.poll() is None


def test_a_threshold_outside_0_1_is_refused_before_loading(load_tool, tmp_path):
    with pytest.raises(SystemExit, match=r'^error: --threshold must be in \[0, 1\], got 1.5$'):
        load_tool('tools/app.py').main([str(tmp_path / 'no_config.py'),
                                        str(tmp_path / 'no.pth'), '--threshold', '1.5'])


def test_a_port_in_use_is_one_line(load_tool, model_files):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=f'^error: --port {port}: the port is in use; '
                           'choose another$'):
            load_tool('tools/app.py').main([str(model_files.config), str(model_files.checkpoint),
                                            '--port', str(port), '--device', 'cpu'])
