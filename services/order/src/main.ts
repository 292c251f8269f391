// The order service: telemetry first (runService starts it before anything it instruments loads),
// then the declaration in service.ts, run by the kernel (@sudamall/shared/service).
import { runService } from '@sudamall/shared/service';
import type * as Service from './service';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after telemetry on purpose
runService('order', () => (require('./service') as typeof Service).orderService);
