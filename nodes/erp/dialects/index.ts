/** Makes the dialect of a connection from its checked configuration. */
import type { DialectConfig } from '../connection-config';
import type { Dialect } from './dialect';
import { ErpnextDialect } from './erpnext';
import { OdooDialect } from './odoo';
import { RestDialect } from './rest';
import { SapOdataDialect } from './sap-odata';

export function createDialect(config: DialectConfig): Dialect {
  switch (config.name) {
    case 'sap-odata':
      return new SapOdataDialect(config.options);
    case 'odoo':
      return new OdooDialect(config.options, { database: config.options.database, login: config.login, password: config.password });
    case 'erpnext':
      return new ErpnextDialect(config.options);
    case 'rest':
      return new RestDialect(config.options);
  }
}
