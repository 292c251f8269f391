// payment: telemetry first (runService starts it), then the declaration in service.ts is loaded and run.
import { runService } from '@sudamall/shared/service';
import type * as Service from './service';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after telemetry on purpose
runService('payment', () => (require('./service') as typeof Service).paymentService);
