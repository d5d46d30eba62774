import { describe, expect, it } from "vitest";
import {
  CONCEPT_CATEGORIES,
  CONCEPT_VENDORS,
  concepts,
  isOneSentence,
  matchConcept,
  MAX_LABEL_CHARS,
  normalizeLabel,
  parseCatalog,
  withoutVendor,
} from "@/lib/offline/catalog/catalog";
import catalogJson from "@/lib/offline/catalog/concepts.json";

/** Asserts that `label` matches concept `id` (or nothing, for null). */
function expectMatch(label: string, id: string | null) {
  const match = matchConcept(label);
  expect({ label, id: match?.concept.id ?? null }).toEqual({ label, id });
}

describe("concept catalogue data", () => {
  it("has at least 300 concepts with unique ids and names", () => {
    expect(concepts.length).toBeGreaterThanOrEqual(300);
    expect(new Set(concepts.map((c) => c.id)).size).toBe(concepts.length);
    expect(new Set(concepts.map((c) => `${c.vendor}:${c.name.toLowerCase()}`)).size).toBe(
      concepts.length,
    );
  });

  it("is the JSON file, validated", () => {
    expect(catalogJson.version).toBe(1);
    expect(concepts.map((c) => c.id)).toEqual(catalogJson.concepts.map((c) => c.id));
    expect(Object.isFrozen(concepts)).toBe(true);
  });

  it("uses every category and vendor sensibly", () => {
    for (const category of CONCEPT_CATEGORIES) {
      expect({ category, n: concepts.filter((c) => c.category === category).length >= 8 }).toEqual({
        category,
        n: true,
      });
    }
    for (const vendor of CONCEPT_VENDORS) {
      expect({ vendor, n: concepts.filter((c) => c.vendor === vendor).length >= 20 }).toEqual({
        vendor,
        n: true,
      });
    }
    const categoryOf = (id: string) => concepts.find((c) => c.id === id)?.category;
    expect(categoryOf("aws-kinesis-data-streams")).toBe("ingestion");
    expect(categoryOf("kafka")).toBe("ingestion");
    expect(categoryOf("aws-lambda")).toBe("compute");
    expect(categoryOf("aws-s3")).toBe("storage");
    expect(categoryOf("data-lake")).toBe("storage");
    expect(categoryOf("gcp-bigquery")).toBe("analytics");
    expect(categoryOf("spark")).toBe("analytics");
    expect(categoryOf("azure-machine-learning")).toBe("ml");
    expect(categoryOf("feature-store")).toBe("ml");
    expect(categoryOf("model-serving")).toBe("serving");
    expect(categoryOf("api-gateway")).toBe("serving");
    expect(categoryOf("prometheus")).toBe("monitoring");
    expect(categoryOf("azure-key-vault")).toBe("security");
    expect(categoryOf("terraform")).toBe("devops");
    expect(categoryOf("users")).toBe("client");
    expect(categoryOf("mobile-app")).toBe("client");
    expect(categoryOf("load-balancer")).toBe("networking");
    expect(categoryOf("dns")).toBe("networking");
  });

  it("gives every concept one role sentence", () => {
    for (const c of concepts) {
      expect({ id: c.id, ok: isOneSentence(c.role) && c.role.length <= 240 }).toEqual({
        id: c.id,
        ok: true,
      });
    }
    expect(isOneSentence("Stores objects.")).toBe(true);
    expect(isOneSentence("Stores objects. Serves them too.")).toBe(false);
    expect(isOneSentence("stores objects.")).toBe(false);
    expect(isOneSentence("Stores objects")).toBe(false);
  });

  it("keeps vendor products off bare generic words", () => {
    const generic = new Set(
      [
        "analytics", "cluster", "data", "storage", "compute", "service", "services", "server",
        "database", "db", "cache", "queue", "monitor", "monitoring", "function", "functions",
        "pipeline", "pipelines", "workflow", "workflows", "notebook", "notebooks", "api", "apis",
        "gateway", "vault", "node", "app", "apps", "web", "cloud", "platform", "engine", "model",
        "models", "registry", "search", "stream", "streams", "events", "logs", "metrics",
        "security", "network", "scheduler", "ingress", "delta", "workspace", "endpoint",
        "endpoints", "dashboard", "dashboards", "real time analytics",
        "stream processing", "data lake", "load balancer", "message queue", "feature store",
        "model registry", "api gateway", "secrets", "keys", "backup", "shield", "fabric", "arc",
      ].map(normalizeLabel),
    );
    // Generic concepts may use these words; so may Kubernetes objects ("Ingress"), whose
    // one-word aliases only ever match a whole label.
    for (const c of concepts.filter((c) => c.vendor !== "generic" && c.vendor !== "kubernetes")) {
      for (const alias of [c.name, ...c.aliases]) {
        expect({ id: c.id, alias, generic: generic.has(normalizeLabel(alias)) }).toEqual({
          id: c.id,
          alias,
          generic: false,
        });
      }
    }
  });

  it("matches every name and alias back to its own concept exactly", () => {
    for (const c of concepts) {
      for (const alias of [c.name, ...c.aliases]) {
        if (alias.includes("(")) continue; // "Service (Kubernetes)" reads as a parenthetical
        const match = matchConcept(alias);
        expect({ alias, id: match?.concept.id, score: match?.score }).toEqual({
          alias,
          id: c.id,
          score: 1,
        });
      }
    }
  });

  it("validates catalogue data: schema, ids, roles, alias collisions", () => {
    const base = {
      id: "thing",
      name: "Thing",
      aliases: ["Thingy"],
      role: "Does one thing well.",
      category: "compute",
      vendor: "generic",
    };
    const catalog = (...items: object[]) => ({ version: 1, concepts: items });
    expect(parseCatalog(catalog(base))).toHaveLength(1);
    expect(() => parseCatalog(catalog(base, { ...base, name: "Other", aliases: [] }))).toThrow(
      /duplicate concept id/,
    );
    expect(() => parseCatalog(catalog({ ...base, category: "database" }))).toThrow();
    expect(() => parseCatalog(catalog({ ...base, vendor: "oracle" }))).toThrow();
    expect(() => parseCatalog(catalog({ ...base, role: "Does a thing. Does another." }))).toThrow(
      /one sentence/,
    );
    expect(() => parseCatalog(catalog({ ...base, id: "Not Kebab" }))).toThrow(/kebab/);
    expect(() => parseCatalog(catalog({ ...base, extra: true }))).toThrow();
    expect(() =>
      parseCatalog(catalog(base, { ...base, id: "other", name: "Other", aliases: ["THINGY"] })),
    ).toThrow(/also "Thingy" of thing/);
    expect(() => parseCatalog(catalog({ ...base, aliases: ["???"] }))).toThrow(/no letters/);
  });
});

describe("matchConcept: labels from real and synthetic diagrams", () => {
  it.each([
    // AWS streaming pipeline
    ["Mobile Users", "users"],
    ["Web Clients", "web-browser"],
    ["API Gateway", "api-gateway"],
    ["Lambda Functions", "aws-lambda"],
    ["Kinesis Streams", "aws-kinesis-data-streams"],
    ["Structured Streaming", "spark-structured-streaming"],
    ["Databricks Delta", "delta-lake"],
    ["Spark Cluster", "spark"],
    ["Auto Scaling", "autoscaling"],
    ["Amazon S3", "aws-s3"],
    ["Databricks Notebooks", "databricks-notebooks"],
    ["Amazon CloudWatch", "aws-cloudwatch"],
    ["IAM Roles", "iam"],
    ["AWS Secrets Manager", "aws-secrets-manager"],
    ["Power BI Dashboards", "azure-power-bi"],
    ["Alerting (SNS)", "aws-sns"],
    ["Stream Processing", "stream-processing"],
    // AWS game analytics
    ["PC", "desktop-client"],
    ["Mobile", "mobile-app"],
    ["AWS SDK", "aws-sdk"],
    ["Kinesis Data Streams", "aws-kinesis-data-streams"],
    ["Kinesis Data Streams (optional)", "aws-kinesis-data-streams"],
    ["Managed Flink", "aws-managed-flink"],
    ["Amazon OpenSearch Service", "aws-opensearch"],
    ["Amazon Data Firehose", "aws-data-firehose"],
    ["S3", "aws-s3"],
    ["Glue", "aws-glue"],
    ["Amazon Athena", "aws-athena"],
    ["Amazon Redshift Serverless", "aws-redshift"],
    // Azure ML
    ["On-premises SQL Server", "relational-database"],
    ["Event Hubs", "azure-event-hubs"],
    ["IoT Devices", "iot-devices"],
    ["Azure Data Factory", "azure-data-factory"],
    ["Azure Data Lake Storage Gen2", "azure-data-lake-storage"],
    ["Azure Databricks", "azure-databricks"],
    ["Azure Machine Learning", "azure-machine-learning"],
    ["Automated ML", "automl"],
    ["Azure Container Registry", "azure-container-registry"],
    ["Azure Kubernetes Service", "azure-aks"],
    ["Managed Endpoint", "azure-ml-endpoints"],
    ["Application Insights", "azure-application-insights"],
    ["Azure Key Vault", "azure-key-vault"],
    ["Microsoft Entra ID", "azure-entra-id"],
    ["Log Analytics Workspace", "azure-log-analytics"],
    ["Model Training", "model-training"],
    // Azure MLOps v2
    ["Azure Storage Account", "azure-storage-account"],
    ["Azure Cosmos DB", "azure-cosmos-db"],
    ["Azure Synapse", "azure-synapse"],
    ["* Feature Store (Optional)", "feature-store"],
    ["Project Repositories", "source-repository"],
    ["Machine Learning Workspaces", "azure-machine-learning"],
    ["Dev Secure Azure Machine Learning Workspace", "azure-machine-learning"],
    ["Staging/Test Secure Azure Machine Learning Workspace(s)", "azure-machine-learning"],
    ["Azure Machine Learning Model Registries", "azure-ml-registry"],
    ["Github", "source-repository"],
    ["Gated Approval", "approval-gate"],
    ["Continuous Integration", "ci-cd"],
    ["Data Checks", "data-quality"],
    ["Near Real-Time Inference", "model-serving"],
    ["Batch Managed Endpoint", "azure-ml-endpoints"],
    ["Online Managed Endpoint", "azure-ml-endpoints"],
    ["Azure Arc", "azure-arc"],
    ["Azure Application Insights", "azure-application-insights"],
    ["Model & Data Monitoring", "model-monitoring"],
    // Databricks MLOps
    ["MLflow Tracking", "mlflow-tracking"],
    ["Git Repository", "source-repository"],
    ["CI/CD Pipeline", "ci-cd"],
    ["Databricks Workflows", "databricks-lakeflow-jobs"],
    ["Batch Inference", "batch-inference"],
    ["Model Serving", "model-serving"],
    ["Lakehouse Monitoring", "databricks-lakehouse-monitoring"],
    ["REST API Clients", "api-client"],
    ["MLflow Model Registry", "mlflow-model-registry"],
    ["Feature Tables", "feature-store"],
    ["Delta Live Tables", "databricks-declarative-pipelines"],
    ["Bronze / Silver / Gold", "databricks-medallion"],
    ["Unity Catalog", "databricks-unity-catalog"],
    ["Access Control Lists", "access-control-list"],
    ["Lineage", "data-lineage"],
    // dense AWS deployment view
    ["VPC 10.0.0.0/16", "vpc"],
    ["Public Subnet", "subnet"],
    ["iOS App", "mobile-app"],
    ["Partner API", "external-system"],
    ["Webhooks", "webhook"],
    ["Route 53", "aws-route53"],
    ["CloudFront CDN", "aws-cloudfront"],
    ["AWS WAF", "aws-waf"],
    ["Cognito User Pool", "aws-cognito"],
    ["AWS Shield", "aws-shield"],
    ["ACM Certificates", "aws-acm"],
    ["Application Load Balancer", "load-balancer"],
    ["NAT Gateway", "nat-gateway"],
    ["Internet Gateway", "aws-internet-gateway"],
    ["Istio Ingress", "istio"],
    ["API Rate Limiter", "rate-limiter"],
    ["Elastic IP", "aws-elastic-ip"],
    ["Network ACL", "aws-network-acl"],
    ["Recommendation Svc", "recommendation-engine"],
    ["Envoy Sidecar", "envoy"],
    ["Cluster Autoscaler", "k8s-cluster-autoscaler"],
    ["Karpenter", "karpenter"],
    ["CoreDNS", "coredns"],
    ["Fluent Bit", "fluent-bit"],
    ["cert-manager", "cert-manager"],
    ["KEDA Scaler", "keda"],
    ["GraphQL Gateway", "graphql-api"],
    ["Aurora PostgreSQL", "aws-aurora"],
    ["ElastiCache Redis", "aws-elasticache"],
    ["Amazon MQ", "aws-mq"],
    ["OpenSearch", "opensearch"],
    ["S3 Data Lake", "aws-s3"],
    ["Step Functions", "aws-step-functions"],
    ["Secrets Manager", "aws-secrets-manager"],
    ["AWS KMS", "aws-kms"],
    ["Glue Catalog", "aws-glue-data-catalog"],
    ["Kinesis Firehose", "aws-data-firehose"],
    ["Jaeger Tracing", "jaeger"],
    ["CloudWatch Logs", "aws-cloudwatch-logs"],
    ["X-Ray", "aws-x-ray"],
    ["PagerDuty", "incident-management"],
    ["Alertmanager", "alertmanager"],
    ["Synthetics", "synthetic-monitoring"],
    ["GitHub Actions", "ci-cd"],
    ["Amazon ECR", "aws-ecr"],
    ["Terraform Cloud", "terraform"],
    ["Argo CD", "argo-cd"],
    ["Trivy Scanner", "trivy"],
    ["Helm Charts", "helm"],
    ["Artifact Store", "artifact-repository"],
    ["Load Tests (k6)", "k6"],
    // GCP data platform
    ["IoT Sensors", "iot-devices"],
    ["Operational DB", "database"],
    ["Cloud Pub/Sub", "gcp-pubsub"],
    ["Cloud Functions", "gcp-cloud-run-functions"],
    ["Storage Transfer Service", "gcp-storage-transfer-service"],
    ["Dataflow", "gcp-dataflow"],
    ["Dataproc", "gcp-dataproc"],
    ["Cloud Composer", "gcp-cloud-composer"],
    ["BigQuery", "gcp-bigquery"],
    ["Cloud Storage", "gcp-cloud-storage"],
    ["Bigtable", "gcp-bigtable"],
    ["Firestore", "gcp-firestore"],
    ["Vertex AI", "gcp-vertex-ai"],
    ["Looker Studio", "gcp-looker-studio"],
    ["Cloud Run", "gcp-cloud-run"],
    ["Cloud Logging", "gcp-cloud-logging"],
    // Online Boutique on GKE and the Kubernetes components diagram
    ["User", "users"],
    ["frontend", "web-frontend"],
    ["email", "email-service"],
    ["recommendation", "recommendation-engine"],
    ["Redis cache", "redis"],
    ["Kubernetes cluster", "k8s-kubernetes"],
    ["Control Plane", "k8s-control-plane"],
    ["etcd", "etcd"],
    ["etcd (persistence store)", "etcd"],
    ["kubelet", "k8s-kubelet"],
    ["k-proxy", "k8s-kube-proxy"],
    ["kube-proxy", "k8s-kube-proxy"],
    ["Controller manager", "k8s-controller-manager"],
    ["Cloud controller manager (optional)", "k8s-cloud-controller-manager"],
  ])("%s -> %s", (label, id) => {
    expectMatch(label, id);
  });
});

describe("matchConcept: OCR damage", () => {
  it.each([
    // spaces dropped
    ["APIGateway", "api-gateway"],
    ["AmazonS3", "aws-s3"],
    ["LambdaFunctions", "aws-lambda"],
    ["AWSLambda", "aws-lambda"],
    ["KinesisDataStreams", "aws-kinesis-data-streams"],
    ["AzureDataFactory", "azure-data-factory"],
    ["ElastiCacheRedis", "aws-elasticache"],
    ["AmazonS3Bucket", "aws-s3"],
    ["PartnerAPIs", "external-system"],
    ["CloudPubSub", "gcp-pubsub"],
    ["MobileUsers", "users"],
    // spaces added inside camelCase names
    ["Dynamo DB", "aws-dynamodb"],
    ["Big Query", "gcp-bigquery"],
    ["Cloud Watch", "aws-cloudwatch"],
    ["Pub Sub", "gcp-pubsub"],
    // I/l/1 and O/0 and rn/m
    ["loT Core", "aws-iot-core"],
    ["loT Hub", "azure-iot-hub"],
    ["CIoudWatch", "aws-cloudwatch"],
    ["EIastiCache", "aws-elasticache"],
    ["Kubernetes C1uster", "k8s-kubernetes"],
    ["Dataf1ow", "gcp-dataflow"],
    ["C0smos DB", "azure-cosmos-db"],
    ["Redls", "redis"],
    ["Kinesls Data Strearns", "aws-kinesis-data-streams"],
    // case, punctuation, & / and
    ["AMAZON S3", "aws-s3"],
    ["amazon s3", "aws-s3"],
    ["AZURE KEY VAULT", "azure-key-vault"],
    ["Azure Devops", "azure-devops"],
    ["Model and Data Monitoring", "model-monitoring"],
    ["Identity & Access Management", "iam"],
    ["Pub/Sub", "gcp-pubsub"],
    ["PubSub", "gcp-pubsub"],
    ["CI-CD pipeline", "ci-cd"],
    ["Cloud Run  Functions", "gcp-cloud-run-functions"],
    // plural / singular
    ["Lambda Function", "aws-lambda"],
    ["Kinesis Stream", "aws-kinesis-data-streams"],
    ["Event Hub", "azure-event-hubs"],
    ["EventHubs", "azure-event-hubs"],
    ["SQS Queues", "aws-sqs"],
    ["Worker Nodes", "k8s-node"],
    ["Pods", "k8s-pod"],
    ["Nat Gateways", "nat-gateway"],
    // a dropped or swapped letter in a long name
    ["Elastcache", "aws-elasticache"],
    ["Amazon Athenna", "aws-athena"],
    ["Azure Key Vaut", "azure-key-vault"],
    ["Kubernetse Cluster", "k8s-kubernetes"],
  ])("%s -> %s", (label, id) => {
    expectMatch(label, id);
  });

  it("scores exact aliases 1 and repaired ones lower", () => {
    expect(matchConcept("Kinesis Streams")?.score).toBe(1);
    expect(matchConcept("loT Core")?.score).toBe(0.95);
    expect(matchConcept("Elastcache")?.score).toBe(0.85);
    const extra = matchConcept("Spark Cluster on Kubernetes")!;
    expect(extra.concept.id).toBe("spark");
    expect(extra.score).toBeGreaterThanOrEqual(0.6);
    expect(extra.score).toBeLessThan(1);
  });
});

describe("matchConcept: vendor prefixes", () => {
  it.each([
    ["S3", "aws-s3"],
    ["AWS S3", "aws-s3"],
    ["Amazon S3", "aws-s3"],
    ["Lambda", "aws-lambda"],
    ["AWS Lambda", "aws-lambda"],
    ["Amazon Lambda", "aws-lambda"],
    ["Athena", "aws-athena"],
    ["AWS Athena", "aws-athena"],
    ["Kinesis", "aws-kinesis-data-streams"],
    ["Amazon Kinesis", "aws-kinesis-data-streams"],
    ["KDS", "aws-kinesis-data-streams"],
    ["Synapse", "azure-synapse"],
    ["Microsoft Power BI", "azure-power-bi"],
    ["Entra ID", "azure-entra-id"],
    ["Azure AD", "azure-entra-id"],
    ["Azure Event Hubs", "azure-event-hubs"],
    ["BigQuery", "gcp-bigquery"],
    ["GCP BigQuery", "gcp-bigquery"],
    ["Google BigQuery", "gcp-bigquery"],
    ["Google Cloud Storage", "gcp-cloud-storage"],
    ["GCS", "gcp-cloud-storage"],
    ["Google Pub/Sub", "gcp-pubsub"],
    ["Databricks Unity Catalog", "databricks-unity-catalog"],
    ["Databricks Auto Loader", "databricks-auto-loader"],
    ["Apache Kafka", "kafka"],
    ["Kafka", "kafka"],
    ["Apache Airflow", "airflow"],
  ])("%s -> %s", (label, id) => {
    expectMatch(label, id);
  });

  it("keeps same-sounding products of different vendors apart", () => {
    expectMatch("Secrets Manager", "aws-secrets-manager");
    expectMatch("Secret Manager", "gcp-secret-manager");
    expectMatch("Amazon OpenSearch", "aws-opensearch");
    expectMatch("OpenSearch", "opensearch");
    expectMatch("Azure Cache for Redis", "azure-cache-for-redis");
    expectMatch("Memorystore for Redis", "gcp-memorystore");
    expectMatch("Redis", "redis");
    expectMatch("Azure Kubernetes Service", "azure-aks");
    expectMatch("GKE", "gcp-gke");
    expectMatch("EKS", "aws-eks");
    expectMatch("ECS", "aws-ecs");
    expectMatch("ACI", "azure-container-instances");
    expectMatch("ACL", "access-control-list");
    expectMatch("NATS", "nats");
    expectMatch("NAT", "nat-gateway");
  });
});

describe("withoutVendor", () => {
  it.each([
    ["Amazon Kinesis Data Streams", "Kinesis Data Streams"],
    ["AWS Lambda", "Lambda"],
    ["Microsoft Azure Event Hubs", "Event Hubs"],
    ["Google Cloud Pub/Sub", "Pub/Sub"],
    ["Apache Kafka", "Apache Kafka"],
    ["Amazonia", "Amazonia"],
  ])("says %j as %j", (name, spoken) => {
    expect(withoutVendor(name)).toBe(spoken);
  });
});

describe("matchConcept: extra words", () => {
  it.each([
    ["Spark Cluster", "spark"],
    ["Databricks Notebooks", "databricks-notebooks"],
    ["Kafka Topic", "kafka"],
    ["Confluent Kafka", "kafka"],
    ["Redshift Mode", "aws-redshift"],
    ["Data Lake Mode", "data-lake"],
    ["Redis on GKE", "redis"],
    ["Spark on EMR", "spark"],
    ["Private Subnet - EKS Cluster", "aws-eks"],
    ["Azure Machine Learning Reference Architecture", "azure-machine-learning"],
    ["Lambda Architecture", "lambda-architecture"],
    ["Redis Sentinel", "redis"],
    ["Istio Control Plane", "istio"],
    ["NGINX Ingress Controller", "nginx"],
    ["Kafka (MSK)", "aws-msk"],
    ["Cache (Redis)", "redis"],
    ["Enterprise Service Bus", "message-broker"],
    ["Backup Vault", "backup"],
    ["Docker Registry", "container-registry"],
    ["1. Amazon S3", "aws-s3"],
  ])("%s -> %s", (label, id) => {
    expectMatch(label, id);
  });
});

describe("matchConcept: no match rather than a wrong one", () => {
  it.each([
    // generic words alone
    "Analytics",
    "Cluster",
    "Data",
    "Storage",
    "Compute",
    "Service",
    "Monitoring",
    "Workflows",
    "Pipeline",
    "Gateway",
    "Cloud",
    "Platform",
    "Node",
    "Topic",
    "Stream",
    "Registry",
    "Vault",
    "Endpoint",
    "Model",
    "Function",
    "Scheduler",
    "API server",
    "api",
    "Delta Load",
    "Beam Search",
    "Vertex",
    // generic words in combination
    "Real-time Analytics",
    "Real time Analytics",
    "Compute Cluster",
    "Storage & Analytics",
    "Monitoring & Security",
    "Data Ingestion",
    "Data Sources",
    "Exploratory Analysis",
    "Model Validation",
    "Champion vs Challenger",
    "Drift Alerts",
    "Data Scientists",
    "Kubernetes Services",
    "Servers & Backend",
    "Infrastructure & Resource Monitoring",
    // microservice names: a generic one-word alias never matches inside a longer label
    "User Service",
    "UserService",
    "Order Service",
    "Cart Service",
    "Payment Service",
    "Shipping Service",
    "GitOps",
    // spaces the OCR did read must fit the alias
    "Data Flow",
    "Data Flows",
    "Data Stream",
    // one letter off in a short word is another product, not a typo
    "API Service",
    "Path Service",
    "ECX",
    "Amazon ECX",
    "Amazon EKR",
    // two different parts in one label
    "Kinesis and Firehose",
    "Kinesis & Firehose",
    "S3 or GCS",
    // titles, containers, footnotes
    "Real-time Clickstream Analytics on AWS",
    "AWS Cloud",
    "AWS",
    "Azure Subscription",
    "AWS Region us-east-1",
    "E-commerce Platform - Deployment View (us-east-1)",
    "Metrics retained for 30 days",
    "Retraining triggered weekly or on data drift",
    "All services run 3 replicas across 3 AZs; p99 latency target 250 ms",
    "Google Cloud Project: analytics-prod",
    "Computer Vision API",
    "Azure Data Studio",
    // nothing at all
    "",
    "   ",
    "1",
    "***",
    "optional",
  ])("%j -> null", (label) => {
    expectMatch(label, null);
  });

  it("never returns a vendor product for a bare generic word", () => {
    for (const word of ["Queue", "Cache", "Database", "Dashboard", "Users", "Firewall", "DNS"]) {
      const match = matchConcept(word);
      expect({ word, vendor: match?.concept.vendor ?? "generic" }).toEqual({
        word,
        vendor: "generic",
      });
    }
  });

  it("applies minScore", () => {
    expect(matchConcept("Spark Executors", { minScore: 0.99 })).toBeNull();
    expect(matchConcept("Spark Executors", { minScore: 0 })?.concept.id).toBe("spark");
    expect(matchConcept("MLOps with Databricks and Azure", { minScore: 0.8 })).toBeNull();
  });
});

describe("speed", () => {
  it("matches a diagram's worth of labels well under 1 ms each", () => {
    const labels = [
      "Mobile Users", "APIGateway", "Lambda Functions", "Kinesis Streams", "Spark Cluster",
      "Real-time Analytics", "Dev Secure Azure Machine Learning Workspace", "User Service",
      "Alerting (SNS)", "loT Core", "Elastcache", "All services run 3 replicas across 3 AZs",
    ];
    matchConcept("warm up");
    const rounds = 100;
    const start = performance.now();
    for (let r = 0; r < rounds; r++) for (const label of labels) matchConcept(label);
    const perLabel = (performance.now() - start) / (rounds * labels.length);
    expect(perLabel).toBeLessThan(1);
  });
});

describe("hostile text", () => {
  it("does not read a label longer than a caption can be", () => {
    expectMatch(`Amazon S3${" ".repeat(MAX_LABEL_CHARS - "Amazon S3".length)}`, "aws-s3");
    expectMatch(`Amazon S3${" ".repeat(MAX_LABEL_CHARS)}`, null);
  });

  /** Lines built to make matching slow: each worked the old matcher far past these bounds. */
  const hostileLines = (chars: number) => [
    "a".repeat(chars), // one word longer than any alias: its fuzzy look-up cost the square of its length
    "é".repeat(chars), // the same, after accents are stripped
    "Kinesis".repeat(chars / 7),
    "Lambda ".repeat(chars / 7), // thousands of candidates, each compared with every other
    `${"Lambda ".repeat(chars / 14)}Kinesis ${"and ".repeat(chars / 8)}`, // every conjunction checked against every candidate
    `${"on ".repeat(chars / 6)}${"Lambda ".repeat(chars / 14)}`,
    "APIGateway".repeat(chars / 10),
    "& ".repeat(chars / 2),
    "(Lambda) ".repeat(chars / 9),
  ];

  // Timed, as matching has no work to count from outside; the bound is loose enough for a loaded
  // machine and far below what these lines cost when matching was quadratic.
  it("matches labels of the longest length read, built to be slow, in bounded time", () => {
    const started = performance.now();
    for (const line of hostileLines(MAX_LABEL_CHARS)) matchConcept(line);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
