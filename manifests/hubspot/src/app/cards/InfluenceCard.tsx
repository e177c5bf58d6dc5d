// CRM record card (contact sidebar): the influence score, tier, confidence, trend and the top factors behind it.
import {
  DescriptionList,
  DescriptionListItem,
  EmptyState,
  ErrorState,
  hubspot,
  List,
  LoadingSpinner,
  StatusTag,
  Text,
} from '@hubspot/ui-extensions';
import { useCrmProperties } from '@hubspot/ui-extensions/crm';

import { CARD_PROPERTIES, influenceView } from './influence-view.ts';

hubspot.extend<'crm.record.sidebar'>(() => <InfluenceCard />);

export function InfluenceCard() {
  const { properties, isLoading, error } = useCrmProperties([...CARD_PROPERTIES]);
  if (isLoading) return <LoadingSpinner label="Loading influence score" />;
  if (error) {
    return (
      <ErrorState title="Influence score unavailable">
        <Text>
          The influence properties could not be loaded. Ask your HubSpot admin to run `crm-influence fields check --crm
          hubspot`.
        </Text>
      </ErrorState>
    );
  }
  const view = influenceView(properties);
  if (view.kind === 'unscored') {
    return (
      <EmptyState title="Not scored" layout="vertical">
        <Text>{view.message}</Text>
      </EmptyState>
    );
  }
  return (
    <>
      <DescriptionList direction="row">
        <DescriptionListItem label="Score">
          <Text format={{ fontWeight: 'bold' }}>{`${view.score} / 100`}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Tier">
          <Text>{view.tier}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Confidence">
          <StatusTag variant={view.confidence.variant}>{view.confidence.label}</StatusTag>
        </DescriptionListItem>
        <DescriptionListItem label="Trend">
          <Text>{view.trend}</Text>
        </DescriptionListItem>
      </DescriptionList>
      <Text format={{ fontWeight: 'demibold' }}>Top factors</Text>
      {view.factors.length > 0 ? (
        <List variant="unordered">
          {view.factors.map((factor) => (
            <Text key={factor}>{factor}</Text>
          ))}
        </List>
      ) : (
        <Text>No factors recorded.</Text>
      )}
      {view.footnote !== '' && <Text variant="microcopy">{view.footnote}</Text>}
    </>
  );
}
