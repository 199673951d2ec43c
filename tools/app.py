"""A local web page that runs a trained model on dropped dermoscopy photos.

    python tools/app.py CONFIG CHECKPOINT [--port P] [--threshold VALUE] \
        [--device cpu|cuda:0] [--cpu-threads N] [--cfg-options KEY=VALUE ...]

Serves http://127.0.0.1:P/ (default port 7860) until interrupted. Each photo
dropped on the page gets the Fig. 4 overlay, p_malignant with its label at
0.5 (and at --threshold, the run's operating point, when given), the box,
the ABCD features of the predicted lesion, and the mask PNG and
predictions.csv row to download: the numbers of tools/infer.py --abcd.
Needs the optional requirement gradio (pip install -e .[app]).
"""
import argparse
from typing import List, Optional

import torch

from mmskin.apis import (ConfigError, add_cfg_options_arg, add_threads_arg, apply_cpu_threads,
                         init_lesion_model, one_line_errors)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Local web page: drop photos, see the lesion the model predicts')
    parser.add_argument('config', help='config file the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file (trusted: loaded in full)')
    parser.add_argument('--port', type=int, default=7860, help='port on 127.0.0.1 (default 7860)')
    parser.add_argument(
        '--threshold', type=float,
        help="the run's operating point on p_malignant: the page also gives the label at it")
    parser.add_argument(
        '--device', default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device to run on, e.g. cpu or cuda:0 (default: cuda:0 if available)')
    add_threads_arg(parser)
    add_cfg_options_arg(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    with one_line_errors():
        if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
            raise ConfigError(f'--threshold must be in [0, 1], got {args.threshold}')
        try:
            from mmskin.apis.web_app import LesionWebApp
        except ModuleNotFoundError as error:
            if error.name != 'gradio':
                raise
            raise ConfigError('the web app needs gradio: pip install -e .[app] (or the gradio '
                              'line of requirements-optional.txt)') from None
        apply_cpu_threads(args.cpu_threads, args.device)
        model = init_lesion_model(args.config, args.checkpoint, args.device, args.cfg_options)
        page = LesionWebApp(model, args.threshold).build()
        try:
            _, url, _ = page.launch(server_name='127.0.0.1', server_port=args.port,
                                    ssr_mode=False, prevent_thread_lock=True, quiet=True)
        except OSError:  # what gradio raises for a port in use
            raise ConfigError(f'--port {args.port}: the port is in use; choose another') from None
    # The line tests and scripts wait for: the server answers from now on.
    print(f'serving on {url}', flush=True)
    try:
        page.block_thread()
    except KeyboardInterrupt:
        page.close()


if __name__ == '__main__':
    main()
